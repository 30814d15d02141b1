/// Limits the host enforces on connections, in one place so a node's resource use has a
/// known ceiling. The per-address limits follow go-libp2p's resource manager (8 connections
/// per IPv4 /32 or IPv6 /56), so one host cannot take every slot with throwaway identities.
public struct ConnectionLimits: Sendable, Equatable {
    /// Established connections, all peers together.
    public var maxConnections: Int
    /// Slots of `maxConnections` that only connections we dialled may use, so inbound
    /// connections can never stop us from reaching the peers we chose.
    public var reservedForOutbound: Int
    /// Dials reuse an existing connection, so more than one per peer only happens when both
    /// sides dial at once or one identity runs in two processes; the newest connection wins
    /// over an idle older one.
    public var maxConnectionsPerPeer: Int
    /// Established inbound connections from one address group (IPv4 /32, IPv6 /56).
    public var maxConnectionsPerAddress: Int
    /// Inbound connections still in the upgrade (handshakes in progress).
    public var maxPendingInbound: Int
    /// Handshakes in progress from one address group.
    public var maxPendingInboundPerAddress: Int
    /// Outbound dials in progress at once.
    public var maxPendingDials: Int
    /// Dials waiting for a free dial slot; more are refused.
    public var maxQueuedDials: Int
    /// A connection with no open stream for this long is closed.
    public var idleTimeout: Duration
    /// How often each connection is pinged, so a dead peer is noticed.
    public var keepAliveInterval: Duration

    public init(
        maxConnections: Int = 512, reservedForOutbound: Int = 64, maxConnectionsPerPeer: Int = 2,
        maxConnectionsPerAddress: Int = 8, maxPendingInbound: Int = 64, maxPendingInboundPerAddress: Int = 8,
        maxPendingDials: Int = 16, maxQueuedDials: Int = 256,
        idleTimeout: Duration = .seconds(120), keepAliveInterval: Duration = .seconds(30)
    ) {
        self.maxConnections = max(1, maxConnections)
        self.reservedForOutbound = min(max(0, reservedForOutbound), self.maxConnections - 1)
        self.maxConnectionsPerPeer = max(1, maxConnectionsPerPeer)
        self.maxConnectionsPerAddress = max(1, maxConnectionsPerAddress)
        self.maxPendingInbound = max(1, maxPendingInbound)
        self.maxPendingInboundPerAddress = max(1, maxPendingInboundPerAddress)
        self.maxPendingDials = max(1, maxPendingDials)
        self.maxQueuedDials = max(0, maxQueuedDials)
        self.idleTimeout = idleTimeout
        self.keepAliveInterval = keepAliveInterval
    }

    /// Inbound connections may use every slot but the reserved ones.
    public var maxInbound: Int { maxConnections - reservedForOutbound }
}

public struct ConnectionID: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt64
    public var description: String { "conn-\(rawValue)" }
}

/// An inbound connection still in its handshake.
public struct PendingID: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt64
    public var description: String { "pending-\(rawValue)" }
}

public enum ConnectionDirection: String, Sendable {
    case inbound, outbound
}

public enum ConnectionRefusal: Error, Equatable, Sendable, CustomStringConvertible {
    case tooManyConnections(limit: Int)
    case tooManyForPeer(PeerID, limit: Int)
    case tooManyFromAddress(limit: Int)
    case tooManyPendingInbound(limit: Int)
    case tooManyPendingFromAddress(limit: Int)
    case dialQueueFull(limit: Int)
    case shuttingDown

    public var description: String {
        switch self {
        case .tooManyConnections(let limit): return "connection limit of \(limit) reached"
        case .tooManyForPeer(let peer, let limit): return "already \(limit) busy connections to \(peer)"
        case .tooManyFromAddress(let limit): return "already \(limit) connections from this address"
        case .tooManyPendingInbound(let limit): return "\(limit) inbound handshakes already in progress"
        case .tooManyPendingFromAddress(let limit): return "\(limit) handshakes from this address already in progress"
        case .dialQueueFull(let limit): return "dial queue full (\(limit) waiting)"
        case .shuttingDown: return "the host is shutting down"
        }
    }

    /// A short stable name, for counting refusals by kind in log summaries.
    public var kind: String {
        switch self {
        case .tooManyConnections: return "connection limit"
        case .tooManyForPeer: return "per-peer limit"
        case .tooManyFromAddress: return "per-address limit"
        case .tooManyPendingInbound: return "handshake limit"
        case .tooManyPendingFromAddress: return "per-address handshake limit"
        case .dialQueueFull: return "dial queue full"
        case .shuttingDown: return "shutting down"
        }
    }
}
