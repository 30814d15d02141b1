import AgoraCore
import AgoraWire

/// The read side sync serves from (the node's store, behind a protocol so the machines and
/// shells here never see LMDB). Every call is one consistent snapshot and bounded by its limits.
public protocol SyncLogSource: Sendable {
    /// The stored bytes of the events with local sequence in `(after, upTo]` (sent as they are,
    /// never decoded), at most `maxEvents` and about
    /// `maxBytes` (always at least one when any exist, unless held ones fill the reply);
    /// `through` is the highest local sequence covered, `latest` the newest local sequence.
    /// Events of a feed in `held` at a seq up to its value are left out and listed as `held`
    /// runs (a bounded number of them per call).
    func changes(
        after: UInt64, upTo: UInt64, maxEvents: Int, maxBytes: Int, held: [PublicKey: UInt64]
    ) throws -> (events: [[UInt8]], through: UInt64, latest: UInt64, held: [HeldRun])
    /// Head events of feeds whose key sorts after `after`, in key order.
    func heads(after: PublicKey?, maxCount: Int, maxBytes: Int) throws -> (events: [Event], more: Bool)
    /// Events of one feed with `from ≤ seq ≤ to`, in feed order, bounded like `changes`.
    func feedRange(author: PublicKey, from: UInt64, to: UInt64, maxEvents: Int, maxBytes: Int) throws -> [Event]
    /// Our head seq of each feed we hold (absent: none).
    func headSeqs(of authors: [PublicKey]) throws -> [PublicKey: UInt64]
    /// The feeds we hold with the most events, at most `maxCount`: what a client tells a server
    /// it need not send (`SyncRequest.holdings`).
    func holdings(maxCount: Int) throws -> [HeldFeed]
    /// For each run, whether we hold the event with its `lastID` at its `last` seq (and so,
    /// by the hash chain, every event of its feed up to there).
    func holds(_ runs: [HeldRun]) throws -> [Bool]
}

/// The write side: the node's one writer. Events arrive in an order where each feed's events
/// follow their predecessors; `position` is committed with them.
public protocol SyncSink: Sendable {
    func append(_ events: [Event], recording position: UInt64?, for peer: PeerID) async throws -> SyncAppendReport
}

public struct SyncAppendReport: Sendable, Equatable {
    public var appended = 0
    public var duplicates = 0
    /// Events that did not fit the chain (gaps, forks a peer honestly holds); kept out.
    public var rejected = 0
    /// The first event whose signature failed: proof the peer forged or altered it.
    public var forged: (author: PublicKey, seq: UInt64)?

    public init(appended: Int = 0, duplicates: Int = 0, rejected: Int = 0, forged: (author: PublicKey, seq: UInt64)? = nil) {
        self.appended = appended
        self.duplicates = duplicates
        self.rejected = rejected
        self.forged = forged
    }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.appended == rhs.appended && lhs.duplicates == rhs.duplicates && lhs.rejected == rhs.rejected
            && lhs.forged?.author == rhs.forged?.author && lhs.forged?.seq == rhs.forged?.seq
    }
}
