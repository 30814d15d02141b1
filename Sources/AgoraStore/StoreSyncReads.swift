import AgoraCore

/// Bounded reads that serve replication, each one consistent snapshot.
extension Store {
    /// Log entries with local sequence in `(after, upTo]`, at most `maxEvents` and, past the
    /// first, about `maxBytes`; `through` is the highest local sequence covered (sent or
    /// skipped, or `min(upTo, latest)` when all were) and `latest` the log's end. `skipping`
    /// is asked inside the read snapshot for local sequences to leave out (the requester's
    /// own appends, which it holds); the cursor jumps over each, reading none of it.
    public func changes(
        after: UInt64, upTo: UInt64, maxEvents: Int, maxBytes: Int, skipping: () -> [ClosedRange<UInt64>] = { [] }
    ) throws -> (events: [Event], through: UInt64, latest: UInt64) {
        try read { txn in
            try txn.withCursor(databases.log) { cursor in
                let latest = try cursor.last().flatMap { BigEndian.uint64($0.key) } ?? 0
                guard after < upTo, after < latest else { return ([], min(upTo, max(after, latest)), latest) }
                let skips = skipping().filter { $0.upperBound > after && $0.lowerBound <= upTo }.sorted { $0.lowerBound < $1.lowerBound }
                var nextSkip = 0
                var events: [Event] = []
                var bytes = 0
                /// Every local seq up to here was sent or skipped.
                var covered = after
                var entry = try cursor.seek(BigEndian.bytes(after + 1))
                while let current = entry {
                    guard let localSeq = BigEndian.uint64(current.key), localSeq > covered else {
                        throw StoreError.corrupt("log key of \(current.key.count) bytes")
                    }
                    guard localSeq <= upTo else { break }
                    while nextSkip < skips.count, skips[nextSkip].upperBound < localSeq { nextSkip += 1 }
                    if nextSkip < skips.count, skips[nextSkip].contains(localSeq) {
                        let end = skips[nextSkip].upperBound
                        covered = min(end, upTo)
                        guard end < upTo, end < UInt64.max else { break }
                        entry = try cursor.seek(BigEndian.bytes(end + 1))
                        continue
                    }
                    guard events.count < maxEvents, events.isEmpty || bytes + current.value.count <= maxBytes else {
                        return (events, localSeq - 1, latest)
                    }
                    events.append(try StoreDatabases.decodeStored(current.value, localSeq: localSeq))
                    bytes += current.value.count
                    covered = localSeq
                    entry = try cursor.next()
                }
                return (events, min(upTo, latest), latest)
            }
        }
    }

    /// The head event of each feed whose key sorts after `after`, in key order, at most
    /// `maxCount` and, past the first, about `maxBytes`; `more` when feeds remain.
    public func headEvents(after: PublicKey?, maxCount: Int, maxBytes: Int) throws -> (events: [Event], more: Bool) {
        try read { txn in
            var events: [Event] = []
            var bytes = 0
            var more = false
            try txn.forEach(databases.feeds, from: after?.bytes) { entry in
                if let after, entry.key.elementsEqual(after.bytes) { return true }
                guard events.count < maxCount, events.isEmpty || bytes < maxBytes else {
                    more = true
                    return false
                }
                let author: PublicKey
                do { author = try PublicKey(bytes: Array(entry.key)) } catch {
                    throw StoreError.corrupt("feed key of \(entry.key.count) bytes")
                }
                let head = try StoreDatabases.decodeHead(entry.value, author: author)
                guard let event = try databases.event(id: head.id, in: txn) else {
                    throw StoreError.corrupt("feed \(author.short) has head \(head.id) that the log lacks")
                }
                events.append(event)
                bytes += event.bytes.count
                return true
            }
            return (events, more)
        }
    }

    /// How many feeds and archives the store holds.
    public func counts() throws -> (feeds: Int, archives: Int) {
        try read { txn in (try txn.count(databases.feeds), try txn.count(databases.blobs)) }
    }
}
