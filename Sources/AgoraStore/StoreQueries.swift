import AgoraCore

/// A second event some author signed for a feed position already taken: proof the author
/// equivocated, kept beside the event accepted first.
public struct Equivocation: Sendable, Hashable {
    public let author: PublicKey
    public let seq: UInt64
    public let accepted: EventID
    public let conflicting: Event
}

extension Store {
    public static let maxPageSize = 10_000

    /// The changes feed: events with a local sequence above `since`, in local order, at most
    /// `limit` (capped at `maxPageSize`). Page on with the last entry's `localSeq`.
    public func events(since: UInt64, limit: Int) throws -> [LogEntry] {
        let limit = max(0, min(limit, Self.maxPageSize))
        // Nothing follows the largest local seq (and `since + 1` would overflow).
        guard limit > 0, since < .max else { return [] }
        return try read { txn in try databases.events(since: since, limit: limit, in: txn) }
    }

    /// The local sequence of the newest log entry; 0 when the log is empty.
    public func lastLocalSeq() throws -> UInt64 {
        try read { txn in try lastLocalSeq(in: txn) }
    }

    public func head(of author: PublicKey) throws -> FeedHead? {
        try read { txn in try databases.head(of: author, in: txn) }
    }

    public func event(id: EventID) throws -> Event? {
        try read { txn in try databases.event(id: id, in: txn) }
    }

    /// Events of one feed with `from ≤ seq ≤ to`, in feed order, at most `maxPageSize`.
    public func events(author: PublicKey, from: UInt64 = 1, to: UInt64 = .max) throws -> [Event] {
        guard from <= to else { return [] }
        return try read { txn in
            var start = author.bytes
            BigEndian.append(from, to: &start)
            var out: [Event] = []
            try txn.forEach(databases.feedEntries, from: start) { entry in
                guard entry.key.starts(with: author.bytes) else { return false }
                guard entry.key.count == 40, entry.value.count == 40,
                      let seq = BigEndian.uint64(entry.key, at: 32), let localSeq = BigEndian.uint64(entry.value, at: 32)
                else { throw StoreError.corrupt("feed entry of \(author.short) has the wrong size") }
                guard seq >= from else { return true }
                guard seq <= to else { return false }
                guard let event = try databases.event(localSeq: localSeq, in: txn) else {
                    throw StoreError.corrupt("feed \(author.short) seq \(seq) points at missing local seq \(localSeq)")
                }
                out.append(event)
                return out.count < Self.maxPageSize
            }
            return out
        }
    }

    /// Equivocation evidence, for one author or all, at most `maxPageSize` items.
    public func equivocations(of author: PublicKey? = nil) throws -> [Equivocation] {
        try read { txn in
            var out: [Equivocation] = []
            try txn.forEach(databases.evidence, prefix: author?.bytes ?? []) { entry in
                guard entry.key.count == 72, let seq = BigEndian.uint64(entry.key, at: 32) else {
                    throw StoreError.corrupt("evidence key of \(entry.key.count) bytes")
                }
                let conflicting: Event
                do { conflicting = try Event(decoding: Array(entry.value)) } catch {
                    throw StoreError.corrupt("evidence event does not decode: \(error)")
                }
                guard let accepted = try databases.feedEntry(author: conflicting.author, seq: seq, in: txn) else {
                    throw StoreError.corrupt("evidence at \(conflicting.author.short) seq \(seq) has no accepted event")
                }
                out.append(Equivocation(author: conflicting.author, seq: seq, accepted: accepted, conflicting: conflicting))
                return out.count < Self.maxPageSize
            }
            return out
        }
    }

    /// Local trust: the key pinned for a scope (compared with ASCII case folded).
    public func pinnedKey(for scope: String) throws -> PublicKey? {
        try read { txn in
            try txn.get(databases.pins, key: Self.pinKey(scope)).flatMap { try? PublicKey(bytes: $0) }
        }
    }

    public func pin(_ key: PublicKey, for scope: String) throws {
        try environment.write { txn in try txn.put(databases.pins, key: Self.pinKey(scope), value: key.bytes) }
    }

    @discardableResult
    public func unpin(scope: String) throws -> Bool {
        try environment.write { txn in try txn.delete(databases.pins, key: Self.pinKey(scope)) }
    }

    /// Scopes follow SwiftPM's rule (ASCII only), so their case folds in ASCII, as the views
    /// fold the scopes they index (`PackageIdentity.asciiLowercased`).
    private static func pinKey(_ scope: String) -> [UInt8] {
        Array(PackageIdentity.asciiLowercased(scope).utf8)
    }

    /// Every pin, by scope.
    public func pins() throws -> [(scope: String, key: PublicKey)] {
        try read { txn in
            var out: [(scope: String, key: PublicKey)] = []
            try txn.forEach(databases.pins) { entry in
                guard let key = try? PublicKey(bytes: Array(entry.value)) else {
                    throw StoreError.corrupt("pin value of \(entry.value.count) bytes")
                }
                out.append((String(decoding: entry.key, as: UTF8.self), key))
                return true
            }
            return out
        }
    }
}
