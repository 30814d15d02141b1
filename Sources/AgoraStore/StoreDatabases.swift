import AgoraCore

/// Every named database of the store, open. Layout steps create them from the specs below;
/// `Store` opens them by the same specs.
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

    /// Views: everything here is a function of the event set, rebuilt from the log and
    /// compared byte for byte by `verifyViews`.
    public static let releasesSpec = DatabaseSpec("releases")
    public static let packageEventsSpec = DatabaseSpec("packageEvents", flags: [.duplicateSort, .duplicateFixed])
    public static let principalsSpec = DatabaseSpec("principals")
    public static let scopesSpec = DatabaseSpec("scopes")
    public static let postingsSpec = DatabaseSpec("postings", flags: [.duplicateSort, .duplicateFixed])
    public static let namesSpec = DatabaseSpec("names", flags: [.duplicateSort, .duplicateFixed])
    public static let fuzzySpec = DatabaseSpec("fuzzy", flags: [.duplicateSort, .duplicateFixed])
    public static let docsSpec = DatabaseSpec("docs")
    public static let scoresSpec = DatabaseSpec("scores")
    /// Peer ID → IDs of the retrieval and penalty events about it: the set each score is the
    /// sum over, so an event is counted once however often it is applied.
    public static let peerEventsSpec = DatabaseSpec("peerEvents", flags: [.duplicateSort, .duplicateFixed])
    /// Bookkeeping behind the views above, so any event re-folds only what it touches.
    /// Author key → `scope/name` of each package it released or yanked, and `scope/` of each
    /// scope it transferred or received: what a key rotation must re-fold.
    public static let authorIndexSpec = DatabaseSpec("authorIndex", flags: [.duplicateSort])
    /// Lowercased scope → IDs of the ScopeTransferred events for it.
    public static let scopeEventsSpec = DatabaseSpec("scopeEvents", flags: [.duplicateSort, .duplicateFixed])
    /// Lowercased scope + 0x00 + author key → feed seq (u64 BE) + event ID of that author's
    /// first release into the scope: all a scope fold needs, however many packages it holds.
    public static let scopeAuthorsSpec = DatabaseSpec("scopeAuthors")
    /// Author key → IDs of the KeyRotated events in its feed.
    public static let rotationsSpec = DatabaseSpec("rotations", flags: [.duplicateSort, .duplicateFixed])

    public static let viewSpecs: [DatabaseSpec] = [
        releasesSpec, packageEventsSpec, principalsSpec, scopesSpec, postingsSpec, namesSpec, fuzzySpec, docsSpec, scoresSpec,
        authorIndexSpec, scopeEventsSpec, scopeAuthorsSpec, rotationsSpec, peerEventsSpec,
    ]
    public static let baseSpecs: [DatabaseSpec] = [
        metaSpec, logSpec, eventIndexSpec, feedsSpec, feedEntriesSpec, evidenceSpec, blobsSpec, blobChunksSpec, pinsSpec,
    ]

    public let meta, log, eventIndex, feeds, feedEntries, evidence, blobs, blobChunks, pins: Database
    public let releases, packageEvents, principals, scopes, postings, names, fuzzy, docs, scores: Database
    public let authorIndex, scopeEvents, scopeAuthors, rotations, peerEvents: Database

    public var views: [Database] {
        [releases, packageEvents, principals, scopes, postings, names, fuzzy, docs, scores, authorIndex, scopeEvents, scopeAuthors, rotations, peerEvents]
    }

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
        releases = try open(Self.releasesSpec)
        packageEvents = try open(Self.packageEventsSpec)
        principals = try open(Self.principalsSpec)
        scopes = try open(Self.scopesSpec)
        postings = try open(Self.postingsSpec)
        names = try open(Self.namesSpec)
        fuzzy = try open(Self.fuzzySpec)
        docs = try open(Self.docsSpec)
        scores = try open(Self.scoresSpec)
        authorIndex = try open(Self.authorIndexSpec)
        scopeEvents = try open(Self.scopeEventsSpec)
        scopeAuthors = try open(Self.scopeAuthorsSpec)
        rotations = try open(Self.rotationsSpec)
        peerEvents = try open(Self.peerEventsSpec)
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
        do {
            return try Event(decoding: Array(bytes))
        } catch {
            throw StoreError.corrupt("event at local seq \(localSeq) does not decode: \(error)")
        }
    }
}
