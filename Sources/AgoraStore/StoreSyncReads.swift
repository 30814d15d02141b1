import AgoraCore

/// One page of the changes feed (`Store.changes`).
public struct LogChanges: Sendable {
    public var events: [Event]
    /// The same events' stored bytes, undecoded, instead of `events` (`decoding: false`).
    public var stored: [[UInt8]] = []
    /// Every local sequence up to here was sent, skipped or held.
    public var through: UInt64
    public var latest: UInt64
    /// Per held feed (key order): the first and last seq left out, and the ID stored at the last.
    public var held: [(author: PublicKey, first: UInt64, last: UInt64, lastID: EventID)] = []
}

/// Bounded reads that serve replication, each one consistent snapshot.
extension Store {
    /// Log entries with local sequence in `(after, upTo]`, at most `maxEvents` and, past the
    /// first, about `maxBytes`; `through` is the highest local sequence covered (sent, skipped or
    /// held, or `min(upTo, latest)` when all were) and `latest` the log's end. `skipping` is asked
    /// inside the read snapshot for local sequences to leave out (the requester's own appends,
    /// which it holds); the cursor jumps over each, reading none of it. Events of a feed in
    /// `held` at a seq up to its value are left out too and reported per feed as `held` spans
    /// with the ID stored at the span's last seq; a reply visits at most `4 × maxEvents` of them.
    /// With `decoding` false the events come back as their stored bytes (`stored`), unhashed:
    /// what a server sends on, which needs no ID or field of them.
    public func changes(
        after: UInt64, upTo: UInt64, maxEvents: Int, maxBytes: Int, held: [PublicKey: UInt64] = [:], decoding: Bool = true,
        skipping: () -> [ClosedRange<UInt64>] = { [] }
    ) throws -> LogChanges {
        try read { txn in
            let page = try txn.withCursor(databases.log) { cursor -> LogChanges in
                let latest = try cursor.last().flatMap { BigEndian.uint64($0.key) } ?? 0
                guard after < upTo, after < latest else { return LogChanges(events: [], through: min(upTo, max(after, latest)), latest: latest) }
                let skips = skipping().filter { $0.upperBound > after && $0.lowerBound <= upTo }.sorted { $0.lowerBound < $1.lowerBound }
                var nextSkip = 0
                var page = LogChanges(events: [], through: after, latest: latest)
                var spans: [PublicKey: (first: UInt64, last: UInt64)] = [:]
                let maxHeld = maxEvents.multipliedReportingOverflow(by: 4).overflow ? Int.max : maxEvents * 4
                var heldCount = 0
                var bytes = 0
                /// Every local seq up to here was sent, skipped or held.
                var covered = after
                var entry = try cursor.seek(BigEndian.bytes(after + 1))
                page.through = min(upTo, latest)
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
                    let stored = Array(current.value)
                    if !held.isEmpty {
                        guard let position = Event.feedPosition(of: stored), let author = try? PublicKey(bytes: Array(stored[position.author])) else {
                            throw StoreError.corrupt("event at local seq \(localSeq) does not decode")
                        }
                        if let through = held[author], position.seq <= through {
                            guard heldCount < maxHeld else {
                                page.through = localSeq - 1
                                break
                            }
                            heldCount += 1
                            covered = localSeq
                            let span = spans[author]
                            spans[author] = (min(span?.first ?? position.seq, position.seq), max(span?.last ?? 0, position.seq))
                            entry = try cursor.next()
                            continue
                        }
                    }
                    let sent = page.events.count + page.stored.count
                    guard sent < maxEvents, sent == 0 || bytes + stored.count <= maxBytes else {
                        page.through = localSeq - 1
                        break
                    }
                    if decoding {
                        page.events.append(try StoreDatabases.decodeStored(stored, localSeq: localSeq))
                    } else {
                        page.stored.append(stored)
                    }
                    bytes += stored.count
                    covered = localSeq
                    entry = try cursor.next()
                }
                page.held = try spans.sorted { $0.key < $1.key }.map { author, span in
                    guard let id = try databases.feedEntry(author: author, seq: span.last, in: txn) else {
                        throw StoreError.corrupt("feed \(author.short) has a logged event at seq \(span.last) but no entry for it")
                    }
                    return (author, span.first, span.last, id)
                }
                return page
            }
            return page
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

    /// The head seq of the feeds with the most events, at most `maxCount`, in key order: what a
    /// sync client tells a server it need not send. One pass over the feeds table.
    public func largestFeeds(maxCount: Int) throws -> [(author: PublicKey, seq: UInt64)] {
        guard maxCount > 0 else { return [] }
        return try read { txn in
            var feeds: [(author: PublicKey, seq: UInt64)] = []
            try txn.forEach(databases.feeds) { entry in
                let author: PublicKey
                do { author = try PublicKey(bytes: Array(entry.key)) } catch {
                    throw StoreError.corrupt("feed key of \(entry.key.count) bytes")
                }
                feeds.append((author, try StoreDatabases.decodeHead(entry.value, author: author).seq))
                // Keep the largest `maxCount`, trimming in bulk so the pass stays linear.
                if feeds.count >= 2 * maxCount {
                    feeds.sort { $0.seq > $1.seq }
                    feeds.removeLast(feeds.count - maxCount)
                }
                return true
            }
            feeds.sort { $0.seq > $1.seq }
            return feeds.prefix(maxCount).sorted { $0.author < $1.author }
        }
    }

    /// For each (author, seq, id), whether this store's event at that position of the feed has that ID.
    public func holds(_ positions: [(author: PublicKey, seq: UInt64, id: EventID)]) throws -> [Bool] {
        try read { txn in
            try positions.map { try databases.feedEntry(author: $0.author, seq: $0.seq, in: txn) == $0.id }
        }
    }

    /// How many feeds and archives the store holds.
    public func counts() throws -> (feeds: Int, archives: Int) {
        try read { txn in (try txn.count(databases.feeds), try txn.count(databases.blobs)) }
    }
}
