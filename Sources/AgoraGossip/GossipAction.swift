import AgoraWire

/// What the router asks its shell to do after an input.
public enum GossipAction: Sendable {
    /// Write this RPC to the peer (one frame).
    case send(PeerID, GossipRPC)
    /// Ask the application whether the message is valid; answer with `validated`.
    case validate(GossipMessageID, GossipMessage, from: PeerID)
    /// A valid message arrived for a topic we subscribe to.
    case deliver(GossipMessageID, GossipMessage, from: PeerID)
}

/// Running totals, for metrics and benchmarks.
public struct GossipCounters: Sendable, Equatable {
    public var delivered = 0
    /// Messages received again after the first copy.
    public var duplicates = 0
    public var rejected = 0
    public var ignored = 0
    /// Messages dropped because a bound was reached (validation queue, size).
    public var dropped = 0
    /// RPCs ignored because their sender was graylisted.
    public var graylisted = 0
    public var iwantSent = 0
    public var ihaveSent = 0

    public init() {}
}

public enum GossipPublishError: Error, Equatable, Sendable, CustomStringConvertible {
    case tooLarge(size: Int, limit: Int)
    case duplicate(GossipMessageID)

    public var description: String {
        switch self {
        case .tooLarge(let size, let limit): return "gossip: message of \(size) bytes exceeds \(limit)"
        case .duplicate(let id): return "gossip: message \(id) was already published or received"
        }
    }
}
