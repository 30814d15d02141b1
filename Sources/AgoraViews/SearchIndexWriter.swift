import AgoraCore
import AgoraStore

/// Writes search documents into the index databases (names, fuzzy, postings, docs).
///
/// The stored summary is the whole record of what a document put in the index: the document
/// is rebuilt from it to take its entries out again, so nothing else needs remembering.
struct SearchIndexWriter {
    let txn: WriteTransaction
    let databases: RegistryDatabases

    /// Makes `document` the package's entry (nil: no entry). Unchanged documents write nothing.
    ///
    /// Document IDs are 64-bit hashes, so someone could publish two names that share one. The
    /// smaller package key then keeps the ID and the other goes unindexed: a rule that gives
    /// the same index in any order, and never refuses an append over it.
    func replace(package key: PackageKey, with document: SearchDocument?) throws {
        let docKey = BigEndian.bytes(SearchDocument.docID(for: key))
        let old = try txn.withValue(databases.docs, key: docKey) { bytes in
            try ViewBatch.decode("search summary", bytes) { (bytes) throws(ViewDecodeError) in try SearchSummary(decoding: bytes) }
        }
        if old == document?.summary { return }
        if let old {
            if old.package != key && (document == nil || old.package < key) { return }
            try remove(SearchDocument(summary: old), docKey: docKey)
        }
        if let document { try insert(document, docKey: docKey) }
    }

    private func insert(_ document: SearchDocument, docKey: [UInt8]) throws {
        try txn.put(databases.docs, key: docKey, value: document.summary.encoded())
        if let name = Self.indexKey(document.normalisedName) { try txn.put(databases.names, key: name, value: docKey) }
        for deletion in document.deletionKeys {
            if let key = Self.indexKey(deletion) { try txn.put(databases.fuzzy, key: key, value: docKey) }
        }
        for term in document.terms {
            guard let key = Self.indexKey(term.token) else { continue }
            try txn.put(databases.postings, key: key, value: SearchPostings.entryBytes(docID: document.docID, weight: term.weight))
        }
    }

    private func remove(_ document: SearchDocument, docKey: [UInt8]) throws {
        try txn.delete(databases.docs, key: docKey)
        if let name = Self.indexKey(document.normalisedName) { try txn.delete(databases.names, key: name, value: docKey) }
        for deletion in document.deletionKeys {
            if let key = Self.indexKey(deletion) { try txn.delete(databases.fuzzy, key: key, value: docKey) }
        }
        for term in document.terms {
            guard let key = Self.indexKey(term.token) else { continue }
            try txn.delete(databases.postings, key: key, value: SearchPostings.entryBytes(docID: document.docID, weight: term.weight))
        }
    }

    /// LMDB keys are 1...511 bytes; longer strings cannot be indexed (nor typed as a query).
    static let maxKeyLength = 511

    static func indexKey(_ text: String) -> [UInt8]? {
        let bytes = Array(text.utf8)
        return bytes.isEmpty || bytes.count > maxKeyLength ? nil : bytes
    }
}
