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
    /// Feeds the client holds (each from seq 1 through `seq`): the changes served on this
    /// stream list those events as held runs instead of sending them.
    case holdings([HeldFeed])
}

public enum SyncResponse: Sendable, Equatable {
    case heads([Event], more: Bool)
    /// Events; for `changes`, `through` is the highest local sequence the reply covers (every
    /// event up to it was sent) and `latest` the server's newest local sequence. For `range`,
    /// `through` is the last feed seq sent. `held`: events of `changes` left out because the
    /// client said it holds them.
    case events([Event], through: UInt64, latest: UInt64, held: [HeldRun] = [])
    /// What a server sends for `events` of `changes`: the stored bytes of each event, never
    /// decoded (the same wire message; a client decodes it as `events`).
    case storedEvents([[UInt8]], through: UInt64, latest: UInt64, held: [HeldRun])
    /// How many feeds of a `holdings` request the server keeps for the stream.
    case kept(Int)
    case failure(String)
}

/// A feed the client holds from seq 1 through `seq` (its head).
public struct HeldFeed: Sendable, Hashable {
    public let author: PublicKey
    public let seq: UInt64

    public init(author: PublicKey, seq: UInt64) {
        self.author = author
        self.seq = seq
    }
}

/// Events `first...last` of one feed that a changes reply left out as held by the client, with
/// the ID the server holds at `last`: when the client holds the same event there, the hash
/// chain proves it holds every one before it too.
public struct HeldRun: Sendable, Hashable {
    public let author: PublicKey
    public let first: UInt64
    public let last: UInt64
    public let lastID: EventID

    public init(author: PublicKey, first: UInt64, last: UInt64, lastID: EventID) {
        self.author = author
        self.first = first
        self.last = last
        self.lastID = lastID
    }
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
