/// The connection manager's decisions as a pure machine: the host reports connection and
/// stream events with the current time, and the machine answers whether to admit, reuse,
/// queue, refuse or evict, and which connections to ping or close. It keeps no channels.
///
/// Inbound connections are grouped by remote address (see `addressGroup`). When a limit is
/// reached the machine prefers to make room by evicting what costs an attacker least to
/// hold: the oldest handshake of the address with the most handshakes, or the longest idle
/// inbound connection of the address with the most connections. Connections we dialled are
/// never evicted, and a share of the slots is reserved for them.
public struct ConnectionManagerState: Sendable {
    public enum DialDecision: Equatable, Sendable {
        case reuse(ConnectionID)
        case start
        /// Wait until `dialFinished` hands the slot over.
        case enqueue
        case refuse(ConnectionRefusal)
    }

    public enum InboundAdmission: Equatable, Sendable {
        /// Start the upgrade; first close the handshake `evicting` when set.
        case admit(PendingID, evicting: PendingID?)
        case refuse(ConnectionRefusal)
    }

    public struct Admitted: Equatable, Sendable {
        public var id: ConnectionID
        /// Connections the shell must close to make room; already forgotten here.
        public var evicting: [ConnectionID]
    }

    public struct Maintenance: Equatable, Sendable {
        public var closeIdle: [ConnectionID] = []
        public var keepAlive: [ConnectionID] = []
    }

    struct Entry: Sendable {
        var peer: PeerID
        var direction: ConnectionDirection
        var address: String?
        var lastActive: ContinuousClock.Instant
        var lastKeepAlive: ContinuousClock.Instant
        var openStreams = 0
    }

    struct Pending: Sendable {
        var address: String
        var since: ContinuousClock.Instant
    }

    public let limits: ConnectionLimits
    private var entries: [ConnectionID: Entry] = [:]
    private var byPeer: [PeerID: [ConnectionID]] = [:]
    private var inboundByAddress: [String: Int] = [:]
    private var inboundCount = 0
    private var pending: [PendingID: Pending] = [:]
    private var pendingByAddress: [String: Int] = [:]
    private var nextID: UInt64 = 1
    public private(set) var pendingDials = 0
    public private(set) var queuedDials = 0
    public private(set) var isShuttingDown = false

    public init(limits: ConnectionLimits) {
        self.limits = limits
    }

    public var connectionCount: Int { entries.count }
    public var pendingInbound: Int { pending.count }

    public func connections(to peer: PeerID) -> [ConnectionID] { byPeer[peer] ?? [] }

    public func peer(of id: ConnectionID) -> PeerID? { entries[id]?.peer }

    public func openStreams(on id: ConnectionID) -> Int? { entries[id]?.openStreams }

    /// A TCP connection from `address` (its `addressGroup`) was accepted; admit it into the
    /// upgrade, possibly evicting another handshake, or refuse it now.
    public mutating func inboundArrived(from address: String, now: ContinuousClock.Instant) -> InboundAdmission {
        if isShuttingDown { return .refuse(.shuttingDown) }
        let mine = pendingByAddress[address] ?? 0
        guard mine < limits.maxPendingInboundPerAddress else {
            return .refuse(.tooManyPendingFromAddress(limit: limits.maxPendingInboundPerAddress))
        }
        guard (inboundByAddress[address] ?? 0) < limits.maxConnectionsPerAddress else {
            return .refuse(.tooManyFromAddress(limit: limits.maxConnectionsPerAddress))
        }
        var evicting: PendingID?
        if pending.count >= limits.maxPendingInbound {
            guard let victim = pendingVictim(beating: mine) else {
                return .refuse(.tooManyPendingInbound(limit: limits.maxPendingInbound))
            }
            handshakeEnded(victim)
            evicting = victim
        }
        let id = PendingID(rawValue: takeID())
        pending[id] = Pending(address: address, since: now)
        pendingByAddress[address] = mine + 1
        return .admit(id, evicting: evicting)
    }

    /// The oldest handshake of the address holding the most, if it holds more than `count`.
    private func pendingVictim(beating count: Int) -> PendingID? {
        guard let (address, held) = pendingByAddress.max(by: { ($0.value, $1.key) < ($1.value, $0.key) }), held > count else {
            return nil
        }
        return pending.filter { $0.value.address == address }
            .min { ($0.value.since, $0.key.rawValue) < ($1.value.since, $1.key.rawValue) }?.key
    }

    /// A handshake ended (upgraded, failed or evicted); frees its slot. Unknown IDs are ignored.
    public mutating func handshakeEnded(_ id: PendingID) {
        guard let entry = pending.removeValue(forKey: id) else { return }
        let left = (pendingByAddress[entry.address] ?? 1) - 1
        pendingByAddress[entry.address] = left > 0 ? left : nil
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

    /// An upgrade completed; registers the connection (evicting others to make room) or
    /// says why it must be closed. Pending slots are released by `handshakeEnded` or
    /// `dialFinished`. `address` is the remote's `addressGroup`, required for inbound.
    public mutating func established(
        peer: PeerID, direction: ConnectionDirection, address: String? = nil, now: ContinuousClock.Instant
    ) -> Result<Admitted, ConnectionRefusal> {
        if isShuttingDown { return .failure(.shuttingDown) }
        var evicting: [ConnectionID] = []
        let existing = byPeer[peer] ?? []
        if existing.count >= limits.maxConnectionsPerPeer {
            // The newest connection of an identity wins over an idle older one (a restarted
            // or second process), so a peer is never locked out by its own stale connection.
            guard let stale = idlest(existing) else {
                return .failure(.tooManyForPeer(peer, limit: limits.maxConnectionsPerPeer))
            }
            evicting.append(stale)
        }
        if direction == .inbound {
            let group = address ?? ""
            let fromAddress = (inboundByAddress[group] ?? 0) - evicting.filter { entries[$0]?.address == group }.count
            guard fromAddress < limits.maxConnectionsPerAddress else {
                return .failure(.tooManyFromAddress(limit: limits.maxConnectionsPerAddress))
            }
        }
        let total = entries.count - evicting.count
        let inbound = inboundCount - evicting.filter { entries[$0]?.direction == .inbound }.count
        let inboundFull = direction == .inbound && inbound >= limits.maxInbound
        if total >= limits.maxConnections || inboundFull {
            guard let victim = inboundVictim(excluding: evicting) else {
                return .failure(.tooManyConnections(limit: inboundFull ? limits.maxInbound : limits.maxConnections))
            }
            evicting.append(victim)
        }
        for id in evicting { closed(id) }
        let id = ConnectionID(rawValue: takeID())
        let group = direction == .inbound ? (address ?? "") : nil
        entries[id] = Entry(peer: peer, direction: direction, address: group, lastActive: now, lastKeepAlive: now)
        byPeer[peer, default: []].append(id)
        if let group {
            inboundByAddress[group, default: 0] += 1
            inboundCount += 1
        }
        return .success(Admitted(id: id, evicting: evicting))
    }

    /// The connection among `ids` with no open stream that has been idle longest.
    private func idlest(_ ids: [ConnectionID]) -> ConnectionID? {
        ids.compactMap { id in entries[id].map { (id, $0) } }
            .filter { $0.1.openStreams == 0 }
            .min { ($0.1.lastActive, $0.0.rawValue) < ($1.1.lastActive, $1.0.rawValue) }?.0
    }

    /// An idle inbound connection from the address group holding the most inbound
    /// connections (the cheapest for an attacker to hold, the least useful to us).
    private func inboundVictim(excluding excluded: [ConnectionID]) -> ConnectionID? {
        let candidates = entries.filter { $0.value.direction == .inbound && $0.value.openStreams == 0 && !excluded.contains($0.key) }
        return candidates.min { a, b in
            let countA = inboundByAddress[a.value.address ?? ""] ?? 0
            let countB = inboundByAddress[b.value.address ?? ""] ?? 0
            if countA != countB { return countA > countB }
            return (a.value.lastActive, a.key.rawValue) < (b.value.lastActive, b.key.rawValue)
        }?.key
    }

    private mutating func takeID() -> UInt64 {
        defer { nextID += 1 }
        return nextID
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

    /// A connection closed (or was evicted); unknown IDs are ignored.
    public mutating func closed(_ id: ConnectionID) {
        guard let entry = entries.removeValue(forKey: id) else { return }
        let remaining = (byPeer[entry.peer] ?? []).filter { $0 != id }
        byPeer[entry.peer] = remaining.isEmpty ? nil : remaining
        if let group = entry.address {
            let left = (inboundByAddress[group] ?? 1) - 1
            inboundByAddress[group] = left > 0 ? left : nil
            inboundCount -= 1
        }
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
        pending.removeAll()
        pendingByAddress.removeAll()
        return entries.keys.sorted { $0.rawValue < $1.rawValue }
    }
}
