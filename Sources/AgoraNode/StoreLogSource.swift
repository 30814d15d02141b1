import AgoraCore
import AgoraStore
import AgoraSync

/// What sync serves, read from the store (LMDB snapshots; never waits for the writer).
struct StoreLogSource: SyncLogSource {
    let store: Store
    /// Local sequences in (after, upTo] the changes feed leaves out: what the requesting peer
    /// sent this node (`EventWriter.echoes`). Asked inside the read snapshot, after its end is
    /// known, so every commit the snapshot holds has been recorded but for the instant between
    /// a commit and its recording (then a few events are sent twice, nothing is missed).
    var skipping: @Sendable (_ after: UInt64, _ upTo: UInt64) -> [ClosedRange<UInt64>] = { _, _ in [] }

    func changes(
        after: UInt64, upTo: UInt64, maxEvents: Int, maxBytes: Int, held: [PublicKey: UInt64]
    ) throws -> (events: [[UInt8]], through: UInt64, latest: UInt64, held: [HeldRun]) {
        let page = try store.changes(after: after, upTo: upTo, maxEvents: maxEvents, maxBytes: maxBytes, held: held, decoding: false) {
            skipping(after, upTo)
        }
        return (page.stored, page.through, page.latest, page.held.map { HeldRun(author: $0.author, first: $0.first, last: $0.last, lastID: $0.lastID) })
    }

    func holdings(maxCount: Int) throws -> [HeldFeed] {
        try store.largestFeeds(maxCount: maxCount).map { HeldFeed(author: $0.author, seq: $0.seq) }
    }

    func holds(_ runs: [HeldRun]) throws -> [Bool] {
        try store.holds(runs.map { ($0.author, $0.last, $0.lastID) })
    }

    func heads(after: PublicKey?, maxCount: Int, maxBytes: Int) throws -> (events: [Event], more: Bool) {
        try store.headEvents(after: after, maxCount: maxCount, maxBytes: maxBytes)
    }

    func feedRange(author: PublicKey, from: UInt64, to: UInt64, maxEvents: Int, maxBytes: Int) throws -> [Event] {
        let page = UInt64(max(1, min(maxEvents, Store.maxPageSize)))
        let end = from.addingReportingOverflow(page - 1)
        var out: [Event] = []
        var bytes = 0
        for event in try store.events(author: author, from: from, to: end.overflow ? to : min(to, end.partialValue)) {
            guard out.isEmpty || bytes + event.bytes.count <= maxBytes else { break }
            out.append(event)
            bytes += event.bytes.count
        }
        return out
    }

    func headSeqs(of authors: [PublicKey]) throws -> [PublicKey: UInt64] {
        try store.read { txn in
            var out: [PublicKey: UInt64] = [:]
            for author in authors {
                if let head = try store.databases.head(of: author, in: txn) { out[author] = head.seq }
            }
            return out
        }
    }
}
