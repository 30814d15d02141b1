import AgoraStore

/// A SearchIndex held in sorted arrays and dictionaries: for tests, benchmarks and tools that
/// load metadata without a store.
public struct InMemorySearchIndex: SearchIndex, Sendable {
    private var names: [String: [UInt64]] = [:]
    /// (normalised name, document) sorted by name bytes then ID, for prefix scans.
    private var sortedNames: [(name: String, docID: UInt64)] = []
    /// (typo key, document) sorted by key bytes then ID.
    private var typoKeys: [(key: [UInt8], docID: UInt64)] = []
    private var postings: [String: [UInt8]] = [:]
    private var summaries: [UInt64: SearchSummary] = [:]
    private var popularities: [UInt64: PackagePopularity] = [:]

    public var documentCount: Int { summaries.count }

    /// Documents with the same ID (the same package) keep the last one given.
    public init(documents: [SearchDocument], popularity: [UInt64: PackagePopularity] = [:]) {
        popularities = popularity
        var byID: [UInt64: SearchDocument] = [:]
        for document in documents { byID[document.docID] = document }
        var postingEntries: [String: [(docID: UInt64, weight: UInt8, bucket: PopularityBucket)]] = [:]
        for document in byID.values {
            summaries[document.docID] = document.summary
            names[document.normalisedName, default: []].append(document.docID)
            sortedNames.append((document.normalisedName, document.docID))
            for key in TypoKeys.keys(for: document.normalisedName) { typoKeys.append((key, document.docID)) }
            let bucket = PopularityBucket(popularity[document.docID])
            for term in document.terms { postingEntries[term.token, default: []].append((document.docID, term.weight, bucket)) }
        }
        for key in names.keys { names[key]?.sort() }
        typoKeys.sort { $0.key != $1.key ? $0.key.lexicographicallyPrecedes($1.key) : $0.docID < $1.docID }
        sortedNames.sort { $0.name != $1.name ? $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) : $0.docID < $1.docID }
        for (token, entries) in postingEntries { postings[token] = SearchPostings.encode(entries) }
    }

    public func documents(named name: String) -> [UInt64] {
        names[name] ?? []
    }

    public func forEachNameEntry(prefix: [UInt8], limit: Int, _ body: (UnsafeRawBufferPointer, UInt64) throws -> Void) rethrows {
        var low = 0
        var high = sortedNames.count
        while low < high {
            let middle = (low + high) / 2
            if sortedNames[middle].name.utf8.lexicographicallyPrecedes(prefix) { low = middle + 1 } else { high = middle }
        }
        var index = low
        while index < sortedNames.count, index - low < limit, sortedNames[index].name.utf8.starts(with: prefix) {
            try Array(sortedNames[index].name.utf8).withUnsafeBytes { try body($0, sortedNames[index].docID) }
            index += 1
        }
    }

    public func forEachTypoEntry(prefix: [UInt8], limit: Int, _ body: (UnsafeRawBufferPointer, UInt64) throws -> Void) rethrows {
        var low = 0
        var high = typoKeys.count
        while low < high {
            let middle = (low + high) / 2
            if typoKeys[middle].key.lexicographicallyPrecedes(prefix) { low = middle + 1 } else { high = middle }
        }
        var index = low
        while index < typoKeys.count, index - low < limit, typoKeys[index].key.starts(with: prefix) {
            try typoKeys[index].key.withUnsafeBytes { try body($0, typoKeys[index].docID) }
            index += 1
        }
    }

    public func withPostings<R>(forAny tokens: [String], _ body: ([SearchPostings]) throws -> R) rethrows -> R {
        try SearchPostings.withEach(tokens.compactMap { postings[$0] }.filter { !$0.isEmpty }, body)
    }

    public func summary(of docID: UInt64) -> SearchSummary? {
        summaries[docID]
    }

    public func popularity(of docID: UInt64) -> PackagePopularity? {
        popularities[docID]
    }
}
