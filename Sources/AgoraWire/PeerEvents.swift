/// What protocol modules learn about peers from the host: a peer's first connection, what it
/// said in identify (again after every identify push), and the end of its last connection.
public enum PeerEvent: Sendable, Equatable {
    case connected(PeerID, ConnectionDirection)
    case identified(PeerInfo)
    case disconnected(PeerID)

    public var peer: PeerID {
        switch self {
        case .connected(let peer, _), .disconnected(let peer): peer
        case .identified(let info): info.peer
        }
    }
}

/// Fans peer events out to subscribers. Each subscriber has its own bounded buffer, so a
/// slow one cannot grow the host's memory; when it overflows, its oldest events are dropped
/// (the host's `connectedPeers` and `peerInfo` remain the truth to reconcile with).
struct PeerEventHub {
    private var subscribers: [UInt64: AsyncStream<PeerEvent>.Continuation] = [:]
    private var nextID: UInt64 = 0
    /// Events subscribers lost to overflow, for the host's log summary.
    private(set) var dropped = 0

    mutating func add(_ continuation: AsyncStream<PeerEvent>.Continuation) -> UInt64 {
        nextID += 1
        subscribers[nextID] = continuation
        return nextID
    }

    mutating func remove(_ id: UInt64) {
        subscribers[id] = nil
    }

    mutating func emit(_ event: PeerEvent) {
        for continuation in subscribers.values {
            if case .dropped = continuation.yield(event) { dropped += 1 }
        }
    }

    mutating func finishAll() {
        for continuation in subscribers.values { continuation.finish() }
        subscribers.removeAll()
    }
}
