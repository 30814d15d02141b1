import AgoraCore
import AgoraStore

/// Collects one batch's changes to the search index (docs, names, typos, postings) and writes
/// them sorted when the batch ends (`IndexChanges`).
///
/// The stored summary is the whole record of what a document put in the index: the document
/// is rebuilt from it to take its entries out again, so nothing else needs remembering. Its
/// postings carry the bucket of the popularity record stored when the batch began
/// (`PopularityBucket`); `ViewBatch.refoldPopularity` moves them when the record changes bucket.
struct SearchIndexWriter {
    private static let docs = 0, names = 1, typos = 2, postings = 3

    let txn: WriteTransaction
    let databases: RegistryDatabases
    private var changes: IndexChanges
    /// Summaries this batch gave each document ID (nil: removed), read in place of the
    /// store's until the changes are written.
    private var written: [UInt64: SearchSummary?] = [:]
    /// The document IDs `written` keeps (nil: all): those replaced more than once in this
    /// batch (`willReplace`). Keeping every summary was a quarter of `replace`.
    private var repeated: Set<UInt64>?

    /// `prepared`: changes recorded before the transaction (`PreparedBatch.search`), which
    /// `replace(package:with:prepared:)` and `withdraw` then keep or take out again.
    init(txn: WriteTransaction, databases: RegistryDatabases, prepared: IndexChanges? = nil) {
        self.txn = txn
        self.databases = databases
        changes = prepared ?? Self.changes(databases)
    }

    /// Empty changes over the search databases, in the order `record` writes them.
    static func changes(_ databases: RegistryDatabases) -> IndexChanges {
        IndexChanges([databases.docs, databases.names, databases.typos, databases.postings])
    }

    /// Makes `document` the package's entry (nil: no entry). Unchanged documents write nothing.
    /// `prepared`: the document's entries, which the changes this writer started from hold
    /// already; they are taken out again where the document is not added.
    ///
    /// Document IDs are 64-bit hashes, so someone could publish two names that share one. The
    /// smaller package key then keeps the ID and the other goes unindexed: a rule that gives
    /// the same index in any order, and never refuses an append over it.
    /// `docID`: the document's (`SearchDocument.docID(for: key)`).
    mutating func replace(package key: PackageKey, docID: UInt64, with document: SearchDocument?, prepared: DocumentEntries? = nil) throws {
        var keptPrepared = false
        defer { if let prepared, !keptPrepared { withdraw(prepared) } }
        let old = try summary(of: docID)
        // Matched without binding: `document == nil` is `Optional`'s `==`, which copies the
        // whole document into a pair to compare (Benchmarks/README.md, "Views: the fold's
        // writer thread, fewer copies").
        let hasDocument = if case .some = document { true } else { false }
        // Nothing to write when both are absent or equal. Compared under `if let old`: matching
        // `(old, document)` as a pair copied the whole new document (3 % of a fold's writer
        // thread; Benchmarks/README.md, "Views: the fold's writer thread, second pass").
        if let old {
            if let document, old == document.summary { return }
        } else if !hasDocument {
            return
        }
        let bucket = try Self.storedBucket(docID, txn: txn, databases: databases)
        if let old {
            if old.package != key && (!hasDocument || old.package < key) { return }
            record(SearchDocument(summary: old), delta: -1, bucket: bucket)
        }
        // Prepared entries carry no popularity: they serve only a document without a record.
        // Unwrapped only to be recorded: binding it copied the whole document.
        if prepared != nil, hasDocument, bucket.isNone {
            keptPrepared = true
        } else if let document {
            record(document, delta: 1, bucket: bucket)
        }
        if repeated?.contains(docID) ?? true { written.updateValue(document?.summary, forKey: docID) }
    }

    /// The document IDs of every `replace` to come in this batch: only a summary whose ID is
    /// replaced again can be read back from `written` (two package keys sharing the ID).
    mutating func willReplace(_ docIDs: [UInt64]) {
        let sorted = docIDs.sorted()
        repeated = Set(zip(sorted, sorted.dropFirst()).compactMap { $0 == $1 ? $0 : nil })
    }

    /// Takes out prepared entries of a document that is not added.
    mutating func withdraw(_ prepared: DocumentEntries) {
        prepared.replay(into: &changes, delta: -1)
    }

    /// Writes the batch's changes; call once, after the last `replace`.
    mutating func finish() throws {
        try changes.write(txn)
        written = [:]
        repeated = nil
    }

    private func summary(of docID: UInt64) throws -> SearchSummary? {
        if let summary = written[docID] { return summary }
        // The key on the stack: an array per re-folded package was 1 % of a deferred fold's write transaction.
        return try withUnsafeBytes(of: docID.bigEndian) { key in
            try txn.withValue(databases.docs, key: key) { bytes in
                try ViewBatch.decode("search summary", bytes) { (bytes) throws(ViewDecodeError) in try SearchSummary(decoding: bytes) }
            }
        }
    }

    private mutating func record(_ document: SearchDocument, delta: Int32, bucket: PopularityBucket) {
        Self.record(document, delta: delta, bucket: bucket, into: &changes)
    }

    /// Adds or removes every (database, key, value) a document puts in the index; `changes`
    /// holds docs, names, typos and postings in that order (`changes(_:)`).
    /// The document ID and posting value are built on the stack: two arrays per document
    /// (one of them grown) were ~8 % of recording it.
    static func record(_ document: SearchDocument, delta: Int32, bucket: PopularityBucket, into changes: inout some IndexEntrySink) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 10) { entry in
            UnsafeMutableRawBufferPointer(entry).storeBytes(of: document.docID.bigEndian, as: UInt64.self)
            entry[8] = 0
            entry[9] = bucket.rawValue
            let docKey = UnsafeBufferPointer(rebasing: entry[..<8])
            changes.record(Self.docs, key: docKey, value: document.summary.encoded(), delta: delta)
            let name = document.normalisedName.utf8
            if Self.indexable(name) { changes.record(Self.names, key: name, value: docKey, delta: delta) }
            TypoKeys.forEachKey(for: document.normalisedName) { key in changes.record(Self.typos, key: key, value: docKey, delta: delta) }
            for term in document.terms where Self.indexable(term.token.utf8) {
                entry[8] = term.weight
                changes.record(Self.postings, key: term.token.utf8, value: UnsafeBufferPointer(entry), delta: delta)
            }
        }
    }

    /// The bucket of the document's stored popularity record.
    static func storedBucket(_ docID: UInt64, txn: some ReadableTransaction, databases: RegistryDatabases) throws -> PopularityBucket {
        try withUnsafeBytes(of: docID.bigEndian) { key in
            try txn.withValue(databases.popularity, key: key) { bytes in
                PopularityBucket(try ViewBatch.decode("popularity", bytes) { (bytes) throws(ViewDecodeError) in try PackagePopularity(decoding: bytes) })
            } ?? .none
        }
    }

    /// Moves the stored document's postings from bucket `old` to `new`, after its popularity
    /// record changed bucket (the batch's other index changes are written already). A few
    /// dozen entries, written in place: a bucket changes far less often than a count.
    static func rebucket(_ docID: UInt64, from old: PopularityBucket, to new: PopularityBucket, txn: WriteTransaction, databases: RegistryDatabases) throws {
        guard old != new else { return }
        let docKey = BigEndian.bytes(docID)
        guard let summary = try txn.withValue(databases.docs, key: docKey, { bytes in
            try ViewBatch.decode("search summary", bytes) { (bytes) throws(ViewDecodeError) in try SearchSummary(decoding: bytes) }
        }) else { return }
        var entry = docKey + [0, old.rawValue]
        for term in SearchDocument(summary: summary).terms where indexable(term.token.utf8) {
            entry[8] = term.weight
            entry[9] = old.rawValue
            guard try txn.delete(databases.postings, key: Array(term.token.utf8), value: entry) else {
                throw StoreError.corrupt("postings of \(term.token) lack document \(docID) in popularity bucket \(old.rawValue); rebuild the views")
            }
            entry[9] = new.rawValue
            try txn.put(databases.postings, key: Array(term.token.utf8), value: entry)
        }
    }

    /// LMDB keys are 1...511 bytes; longer strings cannot be indexed (nor typed as a query).
    static let maxKeyLength = 511

    static func indexKey(_ text: String) -> [UInt8]? {
        indexable(text.utf8) ? Array(text.utf8) : nil
    }

    private static func indexable(_ bytes: String.UTF8View) -> Bool {
        !bytes.isEmpty && bytes.count <= maxKeyLength
    }
}

/// Where `SearchIndexWriter.record` puts a document's entries.
protocol IndexEntrySink {
    mutating func record(_ database: Int, key: some Collection<UInt8>, value: some Collection<UInt8>, delta: Int32)
}

extension IndexChanges: IndexEntrySink {}

/// One document's index entries, encoded before the write transaction (`PreparedBatch`), so
/// the transaction neither encodes the summary nor builds typo keys and postings.
struct DocumentEntries: IndexEntrySink, Sendable {
    private struct Entry: Sendable {
        var database: Int
        var keyCount: Int
        var valueCount: Int
        var delta: Int32
    }

    private var bytes: [UInt8] = []
    private var entries: [Entry] = []

    /// Made before the transaction, where no popularity is known: the entries of a document
    /// without a popularity record (`SearchIndexWriter.replace` uses them only for one).
    init(_ document: SearchDocument) {
        SearchIndexWriter.record(document, delta: 1, bucket: .none, into: &self)
    }

    mutating func record(_ database: Int, key: some Collection<UInt8>, value: some Collection<UInt8>, delta: Int32) {
        bytes.append(contentsOf: key)
        bytes.append(contentsOf: value)
        entries.append(Entry(database: database, keyCount: key.count, valueCount: value.count, delta: delta))
    }

    /// Records the entries into `changes`, each with its delta times `sign`.
    func replay(into changes: inout IndexChanges, delta sign: Int32) {
        bytes.withUnsafeBytes { raw in
            var offset = 0
            for entry in entries {
                let valueStart = offset + entry.keyCount
                let end = valueStart + entry.valueCount
                changes.record(entry.database, key: raw[offset..<valueStart], value: raw[valueStart..<end], delta: entry.delta * sign)
                offset = end
            }
        }
    }
}
