import AgoraCore

/// What a sync client asks. Requests are answered in order, one reply each.
public enum SyncRequest: Sendable, Equatable {
    /// The head event (signed by the feed's key) of every feed after `after` in key order.
    case heads(after: PublicKey?)
    /// Events of one feed with `from ≤ seq ≤ to`, in feed order.
    case range(author: PublicKey, from: UInt64, to: UInt64)
    /// The changes feed: events whose local sequence on the server is in `(after, upTo]`,
    /// in that order; when there are none, the server may wait up to `waitMillis` for some.
    case changes(after: UInt64, upTo: UInt64, waitMillis: UInt32)
}

public enum SyncResponse: Sendable, Equatable {
    case heads([Event], more: Bool)
    /// Events; for `changes`, `through` is the highest local sequence the reply covers (every
    /// event up to it was sent) and `latest` the server's newest local sequence. For `range`,
    /// `through` is the last feed seq sent.
    case events([Event], through: UInt64, latest: UInt64)
    case failure(String)
}

/// A request with the number that pairs it with its reply.
public struct SyncRequestFrame: Sendable, Equatable {
    public let id: UInt64
    public let request: SyncRequest

    public init(id: UInt64, request: SyncRequest) {
        self.id = id
        self.request = request
    }
}

public struct SyncResponseFrame: Sendable, Equatable {
    public let id: UInt64
    public let response: SyncResponse

    public init(id: UInt64, response: SyncResponse) {
        self.id = id
        self.response = response
    }
}
