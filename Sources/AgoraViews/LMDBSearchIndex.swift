import AgoraCore
import AgoraStore

/// The search index as stored by `RegistryViews`, read inside one transaction: every lookup
/// the engine makes is a get or a short cursor walk, and postings come straight from the map.
public struct LMDBSearchIndex<Transaction: ReadableTransaction>: SearchIndex {
    public let txn: Transaction
    public let databases: RegistryDatabases

    public init(_ txn: Transaction, databases: RegistryDatabases) {
        self.txn = txn
        self.databases = databases
    }

    public func documents(named name: String) throws -> [UInt64] {
        try docIDs(in: databases.names, key: name)
    }

    public func forEachNameEntry(prefix: [UInt8], limit: Int, _ body: (UnsafeRawBufferPointer, UInt64) throws -> Void) throws {
        try forEachEntry(in: databases.names, prefix: prefix, limit: limit, body)
    }

    public func forEachTypoEntry(prefix: [UInt8], limit: Int, _ body: (UnsafeRawBufferPointer, UInt64) throws -> Void) throws {
        try forEachEntry(in: databases.typos, prefix: prefix, limit: limit, body)
    }

    /// Calls `body` with up to `limit` (key, document ID) entries of a DUPFIXED database of
    /// document IDs whose key starts with `prefix`, in order; the key points into the map.
    private func forEachEntry(
        in db: Database, prefix: [UInt8], limit: Int, _ body: (UnsafeRawBufferPointer, UInt64) throws -> Void
    ) throws {
        guard limit > 0, prefix.count <= SearchIndexWriter.maxKeyLength else { return }
        try txn.withCursor(db) { cursor in
            try cursor.forEach(prefix: prefix, limit: limit) { entry in
                guard entry.value.count == 8 else { throw StoreError.corrupt("\(db.name) holds a value of \(entry.value.count) bytes") }
                try body(entry.key, UInt64(bigEndian: entry.value.loadUnaligned(as: UInt64.self)))
            }
        }
    }

    /// Hands the engine the postings in place when LMDB returns them in one run (the list fits
    /// one page: the transaction's pages stay mapped and unchanged while it reads); a list
    /// spanning several pages is copied into one buffer first, freed after the call.
    public func withPostings<R>(forAny tokens: [String], _ body: ([SearchPostings]) throws -> R) throws -> R {
        var copies: [UnsafeMutableRawBufferPointer] = []
        defer { for copy in copies { copy.deallocate() } }
        let lists = try txn.withCursor(databases.postings) { cursor in
            try tokens.compactMap { token -> SearchPostings? in
                guard let key = SearchIndexWriter.indexKey(token) else { return nil }
                var inPlace: UnsafeRawBufferPointer?
                var copy: UnsafeMutableRawBufferPointer?
                var written = 0
                try cursor.forEachRun(of: key) { run in
                    guard run.count % SearchPostings.entrySize == 0 else {
                        throw StoreError.corrupt("postings of \(token) hold a run of \(run.count) bytes")
                    }
                    if copy == nil {
                        let total = try cursor.duplicateCount() * SearchPostings.entrySize
                        if total == run.count {
                            inPlace = run
                            return false
                        }
                        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(total, run.count), alignment: 8)
                        copies.append(buffer)
                        copy = buffer
                    }
                    guard let buffer = copy, written + run.count <= buffer.count else {
                        throw StoreError.corrupt("postings of \(token) hold more entries than their count")
                    }
                    UnsafeMutableRawBufferPointer(rebasing: buffer[written..<(written + run.count)]).copyMemory(from: run)
                    written += run.count
                    return true
                }
                let list = inPlace ?? copy.map { UnsafeRawBufferPointer(rebasing: $0[..<written]) }
                return list.flatMap { $0.isEmpty ? nil : SearchPostings($0) }
            }
        }
        return try body(lists)
    }

    public func summary(of docID: UInt64) throws -> SearchSummary? {
        try withDocumentKey(docID) { key in
            try txn.withValue(databases.docs, key: key) { bytes in
                try ViewBatch.decode("search summary", bytes) { (bytes) throws(ViewDecodeError) in try SearchSummary.decode(bytes, storedAs: docID) }
            }
        }
    }

    public func scopeAndName(of docID: UInt64) throws -> (scope: String, name: String)? {
        try withDocumentKey(docID) { key in
            try txn.withValue(databases.docs, key: key) { bytes in
                try ViewBatch.decode("search summary", bytes) { (bytes) throws(ViewDecodeError) in try SearchSummary.scopeAndName(decoding: bytes) }
            }
        }
    }

    public func popularity(of docID: UInt64) throws -> PackagePopularity? {
        try withDocumentKey(docID) { key in
            try txn.withValue(databases.popularity, key: key) { bytes in
                try ViewBatch.decode("popularity", bytes) { (bytes) throws(ViewDecodeError) in try PackagePopularity(decoding: bytes) }
            }
        }
    }

    /// One cursor for the whole walk: LMDB looks within the cursor's current page first, so
    /// ascending IDs mostly skip the descent from the root.
    public func popularities(of docIDs: [UInt64]) throws -> [PackagePopularity?] {
        try txn.withCursor(databases.popularity) { cursor in
            try docIDs.map { docID in
                guard let entry = try withDocumentKey(docID, { try cursor.find($0) }) else { return nil }
                return try ViewBatch.decode("popularity", entry.value) { (bytes) throws(ViewDecodeError) in try PackagePopularity(decoding: bytes) }
            }
        }
    }

    /// A document ID as its 8-byte big-endian key, on the stack: lookups by ID are the engine's
    /// most frequent read (thousands per query), so none allocates.
    private func withDocumentKey<R>(_ docID: UInt64, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withUnsafeBytes(of: docID.bigEndian, body)
    }

    /// The 8-byte document IDs under `key` in a DUPFIXED database, ascending.
    private func docIDs(in db: Database, key: String) throws -> [UInt64] {
        guard let key = SearchIndexWriter.indexKey(key) else { return [] }
        return try txn.withCursor(db) { cursor in
            var out: [UInt64] = []
            try cursor.forEachRun(of: key) { run in
                guard run.count % 8 == 0 else { throw StoreError.corrupt("\(db.name) holds a run of \(run.count) bytes") }
                for offset in stride(from: 0, to: run.count, by: 8) {
                    out.append(UInt64(bigEndian: run.loadUnaligned(fromByteOffset: offset, as: UInt64.self)))
                }
                return true
            }
            return out
        }
    }
}
