import AgoraCore

/// Bounded reads that serve replication, each one consistent snapshot.
extension Store {
    /// Log entries with local sequence in `(after, upTo]`, at most `maxEvents` and, past the
    /// first, about `maxBytes`; `through` is the highest local sequence covered (the last
    /// entry sent, or `min(upTo, latest)` when all were sent) and `latest` the log's end.
    public func changes(
        after: UInt64, upTo: UInt64, maxEvents: Int, maxBytes: Int
    ) throws -> (events: [Event], through: UInt64, latest: UInt64) {
        try read { txn in
            let latest = try txn.withCursor(databases.log) { cursor in try cursor.last().flatMap { BigEndian.uint64($0.key) } ?? 0 }
            guard after < upTo, after < latest else { return ([], min(upTo, max(after, latest)), latest) }
            var events: [Event] = []
            var bytes = 0
            var last = after
            var complete = true
            try txn.forEach(databases.log, from: BigEndian.bytes(after + 1)) { entry in
                guard let localSeq = BigEndian.uint64(entry.key), localSeq > after else {
                    throw StoreError.corrupt("log key of \(entry.key.count) bytes")
                }
                guard localSeq <= upTo else { return false }
                guard events.count < maxEvents, events.isEmpty || bytes + entry.value.count <= maxBytes else {
                    complete = false
                    return false
                }
                events.append(try StoreDatabases.decodeStored(entry.value, localSeq: localSeq))
                bytes += entry.value.count
                last = localSeq
                return true
            }
            return (events, complete ? min(upTo, latest) : last, latest)
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
