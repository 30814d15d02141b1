/// Limits the host enforces on connections, in one place so a node's resource use has a
/// known ceiling.
public struct ConnectionLimits: Sendable, Equatable {
    /// Established connections, all peers together.
    public var maxConnections: Int
    /// Dials reuse an existing connection, so more than one per peer only happens when both
    /// sides dial at once; two keeps such a race from closing both connections.
    public var maxConnectionsPerPeer: Int
    /// Inbound connections still in the upgrade (handshakes in progress).
    public var maxPendingInbound: Int
    /// Outbound dials in progress at once.
    public var maxPendingDials: Int
    /// Dials waiting for a free dial slot; more are refused.
    public var maxQueuedDials: Int
    /// A connection with no open stream for this long is closed.
    public var idleTimeout: Duration
    /// How often each connection is pinged, so a dead peer is noticed.
    public var keepAliveInterval: Duration

    public init(
        maxConnections: Int = 512, maxConnectionsPerPeer: Int = 2, maxPendingInbound: Int = 64,
        maxPendingDials: Int = 16, maxQueuedDials: Int = 256,
        idleTimeout: Duration = .seconds(120), keepAliveInterval: Duration = .seconds(30)
    ) {
        self.maxConnections = max(1, maxConnections)
        self.maxConnectionsPerPeer = max(1, maxConnectionsPerPeer)
        self.maxPendingInbound = max(1, maxPendingInbound)
        self.maxPendingDials = max(1, maxPendingDials)
        self.maxQueuedDials = max(0, maxQueuedDials)
        self.idleTimeout = idleTimeout
        self.keepAliveInterval = keepAliveInterval
    }
}

public struct ConnectionID: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt64
    public var description: String { "conn-\(rawValue)" }
}

public enum ConnectionDirection: String, Sendable {
    case inbound, outbound
}

public enum ConnectionRefusal: Error, Equatable, Sendable, CustomStringConvertible {
    case tooManyConnections(limit: Int)
    case tooManyForPeer(PeerID, limit: Int)
    case tooManyPendingInbound(limit: Int)
    case dialQueueFull(limit: Int)
    case shuttingDown

    public var description: String {
        switch self {
        case .tooManyConnections(let limit): return "connection limit of \(limit) reached"
        case .tooManyForPeer(let peer, let limit): return "already \(limit) connections to \(peer)"
        case .tooManyPendingInbound(let limit): return "\(limit) inbound handshakes already in progress"
        case .dialQueueFull(let limit): return "dial queue full (\(limit) waiting)"
        case .shuttingDown: return "the host is shutting down"
        }
    }
}

/// The connection manager's decisions as a pure machine: the host reports connection and
/// stream events with the current time, and the machine answers whether to admit, reuse,
/// queue or refuse, and which connections to ping or close. It keeps no channels.
public struct ConnectionManagerState: Sendable {
    public enum DialDecision: Equatable, Sendable {
        case reuse(ConnectionID)
        case start
        /// Wait until `dialFinished` hands the slot over.
        case enqueue
        case refuse(ConnectionRefusal)
    }

    public struct Maintenance: Equatable, Sendable {
        public var closeIdle: [ConnectionID] = []
        public var keepAlive: [ConnectionID] = []
    }

    struct Entry: Sendable {
        var peer: PeerID
        var direction: ConnectionDirection
        var lastActive: ContinuousClock.Instant
        var lastKeepAlive: ContinuousClock.Instant
        var openStreams = 0
    }

    public let limits: ConnectionLimits
    private var entries: [ConnectionID: Entry] = [:]
    private var byPeer: [PeerID: [ConnectionID]] = [:]
    private var nextID: UInt64 = 1
    public private(set) var pendingInbound = 0
    public private(set) var pendingDials = 0
    public private(set) var queuedDials = 0
    public private(set) var isShuttingDown = false

    public init(limits: ConnectionLimits) {
        self.limits = limits
    }

    public var connectionCount: Int { entries.count }

    public func connections(to peer: PeerID) -> [ConnectionID] { byPeer[peer] ?? [] }

    public func peer(of id: ConnectionID) -> PeerID? { entries[id]?.peer }

    public func openStreams(on id: ConnectionID) -> Int? { entries[id]?.openStreams }

    /// A TCP connection was accepted; admit it into the upgrade or refuse it now.
    public mutating func inboundArrived() -> ConnectionRefusal? {
        if isShuttingDown { return .shuttingDown }
        guard pendingInbound < limits.maxPendingInbound else { return .tooManyPendingInbound(limit: limits.maxPendingInbound) }
        guard entries.count + pendingInbound < limits.maxConnections else { return .tooManyConnections(limit: limits.maxConnections) }
        pendingInbound += 1
        return nil
    }

    public mutating func inboundFailed() {
        pendingInbound = max(0, pendingInbound - 1)
    }

    /// A dial to `peer` (nil when the address names none) was requested.
    public mutating func dialRequested(peer: PeerID?) -> DialDecision {
        if isShuttingDown { return .refuse(.shuttingDown) }
        if let peer, let existing = byPeer[peer]?.first { return .reuse(existing) }
        if pendingDials < limits.maxPendingDials {
            pendingDials += 1
            return .start
        }
        guard queuedDials < limits.maxQueuedDials else { return .refuse(.dialQueueFull(limit: limits.maxQueuedDials)) }
        queuedDials += 1
        return .enqueue
    }

    /// A dial ended (connected or not). Returns true when its slot passes to a queued dial,
    /// which the shell must then wake.
    public mutating func dialFinished() -> Bool {
        if queuedDials > 0 {
            queuedDials -= 1
            return true
        }
        pendingDials = max(0, pendingDials - 1)
        return false
    }

    /// A queued dial gave up waiting (cancelled or the host shut down).
    public mutating func queuedDialAbandoned() {
        queuedDials = max(0, queuedDials - 1)
    }

    /// An upgrade completed; registers the connection or says why it must be closed. The
    /// pending slot (inbound, or the dial's) is released by the caller's own event.
    public mutating func established(
        peer: PeerID, direction: ConnectionDirection, now: ContinuousClock.Instant
    ) -> Result<ConnectionID, ConnectionRefusal> {
        if direction == .inbound { pendingInbound = max(0, pendingInbound - 1) }
        if isShuttingDown { return .failure(.shuttingDown) }
        guard entries.count < limits.maxConnections else { return .failure(.tooManyConnections(limit: limits.maxConnections)) }
        let existing = byPeer[peer] ?? []
        guard existing.count < limits.maxConnectionsPerPeer else {
            return .failure(.tooManyForPeer(peer, limit: limits.maxConnectionsPerPeer))
        }
        let id = ConnectionID(rawValue: nextID)
        nextID += 1
        entries[id] = Entry(peer: peer, direction: direction, lastActive: now, lastKeepAlive: now)
        byPeer[peer] = existing + [id]
        return .success(id)
    }

    public mutating func streamOpened(on id: ConnectionID, now: ContinuousClock.Instant) {
        guard var entry = entries[id] else { return }
        entry.openStreams += 1
        entry.lastActive = now
        entries[id] = entry
    }

    public mutating func streamClosed(on id: ConnectionID, now: ContinuousClock.Instant) {
        guard var entry = entries[id] else { return }
        entry.openStreams = max(0, entry.openStreams - 1)
        entry.lastActive = now
        entries[id] = entry
    }

    public mutating func closed(_ id: ConnectionID) {
        guard let entry = entries.removeValue(forKey: id) else { return }
        let remaining = (byPeer[entry.peer] ?? []).filter { $0 != id }
        byPeer[entry.peer] = remaining.isEmpty ? nil : remaining
    }

    /// Which connections have been idle too long, and which are due a keep-alive ping.
    public mutating func maintenance(now: ContinuousClock.Instant) -> Maintenance {
        var result = Maintenance()
        for (id, entry) in entries.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            if entry.openStreams == 0, now - entry.lastActive >= limits.idleTimeout {
                result.closeIdle.append(id)
            } else if now - entry.lastKeepAlive >= limits.keepAliveInterval {
                entries[id]?.lastKeepAlive = now
                result.keepAlive.append(id)
            }
        }
        return result
    }

    /// From now on everything is refused; returns the connections to close.
    public mutating func shutdown() -> [ConnectionID] {
        isShuttingDown = true
        return entries.keys.sorted { $0.rawValue < $1.rawValue }
    }
}
