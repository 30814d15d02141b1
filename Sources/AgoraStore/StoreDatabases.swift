import AgoraCore

/// Every named database of the store proper (log, feeds, blobs, pins), open. Layout steps
/// create them; `Store` opens them by the specs below. View databases belong to the
/// `ViewMaintainer` (see `ViewDatabases`).
public struct StoreDatabases: Sendable {
    /// Layout and view versions.
    public static let metaSpec = DatabaseSpec("meta")
    /// Local sequence (u64 BE) → event bytes, in arrival order: the changes feed.
    public static let logSpec = DatabaseSpec("log")
    /// Event ID → local sequence (u64 BE).
    public static let eventIndexSpec = DatabaseSpec("eventIndex")
    /// Author key → head feed sequence (u64 BE) + head event ID.
    public static let feedsSpec = DatabaseSpec("feeds")
    /// Author key + feed sequence (u64 BE) → event ID + local sequence (u64 BE).
    public static let feedEntriesSpec = DatabaseSpec("feedEntries")
    /// Author key + feed sequence + conflicting event ID → the conflicting event's bytes; the
    /// event accepted first at that position stays in the log.
    public static let evidenceSpec = DatabaseSpec("evidence")
    /// Blob SHA-256 → blob header (format, size, chunk size).
    public static let blobsSpec = DatabaseSpec("blobs")
    /// Blob SHA-256 + chunk index (u32 BE) → chunk encoding flag + chunk bytes.
    public static let blobChunksSpec = DatabaseSpec("blobChunks")
    /// Lowercased scope → pinned publisher key. Local trust, never replicated, not a view.
    public static let pinsSpec = DatabaseSpec("pins")
    /// Blob SHA-256 → last use (ms since 1970, u64 BE): the archive cache's LRU order. Local.
    public static let blobUsesSpec = DatabaseSpec("blobUses")
    /// Pin holder (16 bytes) + blob SHA-256 → the holder's label (an install folder's path):
    /// archives the cache never evicts. Local.
    public static let blobPinsSpec = DatabaseSpec("blobPins")
    /// Blob SHA-256 → writer pid (u32 BE) + size (u64 BE) while a streamed blob's chunks are
    /// being written in several transactions; the header is written last.
    public static let blobPendingSpec = DatabaseSpec("blobPending")

    public let meta, log, eventIndex, feeds, feedEntries, evidence, blobs, blobChunks, pins: Database
    public let blobUses, blobPins, blobPending: Database

    init(opening txn: some ReadableTransaction) throws {
        func open(_ spec: DatabaseSpec) throws -> Database {
            guard let db = try txn.openDatabase(spec) else {
                throw StoreError.corrupt("database \(spec.name) is missing although the layout version says it exists")
            }
            return db
        }
        meta = try open(Self.metaSpec)
        log = try open(Self.logSpec)
        eventIndex = try open(Self.eventIndexSpec)
        feeds = try open(Self.feedsSpec)
        feedEntries = try open(Self.feedEntriesSpec)
        evidence = try open(Self.evidenceSpec)
        blobs = try open(Self.blobsSpec)
        blobChunks = try open(Self.blobChunksSpec)
        pins = try open(Self.pinsSpec)
        blobUses = try open(Self.blobUsesSpec)
        blobPins = try open(Self.blobPinsSpec)
        blobPending = try open(Self.blobPendingSpec)
    }
}

/// The head of an author's feed as this store has it.
public struct FeedHead: Sendable, Hashable {
    public let seq: UInt64
    public let id: EventID

    public init(seq: UInt64, id: EventID) {
        self.seq = seq
        self.id = id
    }
}

/// One entry of the local log.
public struct LogEntry: Sendable, Hashable {
    public let localSeq: UInt64
    public let event: Event
}

/// Reads over the log and feeds inside a caller's transaction, for view maintainers and
/// the store's own operations.
extension StoreDatabases {
    public func event(localSeq: UInt64, in txn: some ReadableTransaction) throws -> Event? {
        try txn.withValue(log, key: BigEndian.bytes(localSeq)) { bytes in
            try Self.decodeStored(bytes, localSeq: localSeq)
        }
    }

    /// At most `limit` log entries above `since`, in local order, inside the caller's transaction.
    func events(since: UInt64, limit: Int, in txn: some ReadableTransaction) throws -> [LogEntry] {
        guard limit > 0, since < .max else { return [] }
        var out: [LogEntry] = []
        try txn.forEach(log, from: BigEndian.bytes(since + 1)) { entry in
            guard let localSeq = BigEndian.uint64(entry.key), localSeq > since else {
                throw StoreError.corrupt("log key of \(entry.key.count) bytes")
            }
            out.append(LogEntry(localSeq: localSeq, event: try Self.decodeStored(entry.value, localSeq: localSeq)))
            return out.count < limit
        }
        return out
    }

    public func localSeq(of id: EventID, in txn: some ReadableTransaction) throws -> UInt64? {
        try txn.withValue(eventIndex, key: id.bytes) { BigEndian.uint64($0) } ?? nil
    }

    public func event(id: EventID, in txn: some ReadableTransaction) throws -> Event? {
        guard let localSeq = try localSeq(of: id, in: txn) else { return nil }
        guard let event = try event(localSeq: localSeq, in: txn) else {
            throw StoreError.corrupt("event \(id) is indexed at local seq \(localSeq), which the log lacks")
        }
        return event
    }

    /// The ID of the event the store holds at `seq` of `author`'s feed.
    func feedEntry(author: PublicKey, seq: UInt64, in txn: some ReadableTransaction) throws -> EventID? {
        var key = author.bytes
        BigEndian.append(seq, to: &key)
        return try txn.withValue(feedEntries, key: key) { try? EventID(bytes: Array($0.prefix(32))) } ?? nil
    }

    public func head(of author: PublicKey, in txn: some ReadableTransaction) throws -> FeedHead? {
        try txn.withValue(feeds, key: author.bytes) { bytes in try Self.decodeHead(bytes, author: author) }
    }

    static func decodeHead(_ bytes: UnsafeRawBufferPointer, author: PublicKey) throws -> FeedHead {
        guard bytes.count == 40, let seq = BigEndian.uint64(bytes), let id = try? EventID(bytes: Array(bytes[8...])) else {
            throw StoreError.corrupt("feed head of \(author.short) is \(bytes.count) bytes, expected 40")
        }
        return FeedHead(seq: seq, id: id)
    }

    static func decodeStored(_ bytes: UnsafeRawBufferPointer, localSeq: UInt64) throws -> Event {
        try decodeStored(Array(bytes), localSeq: localSeq)
    }

    static func decodeStored(_ bytes: [UInt8], localSeq: UInt64) throws -> Event {
        do {
            return try Event(decoding: bytes)
        } catch {
            throw StoreError.corrupt("event at local seq \(localSeq) does not decode: \(error)")
        }
    }
}
