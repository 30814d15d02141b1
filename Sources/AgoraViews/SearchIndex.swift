import AgoraStore

/// The storage behind search, as the few lookups the engine needs.
///
/// Shaped after LMDB: exact gets, one range scan, and postings that a DUPSORT|DUPFIXED
/// database hands out as contiguous fixed-width entries. The memory implementation serves
/// tests; the LMDB one implements the same calls inside one read transaction.
public protocol SearchIndex {
    /// Documents whose normalised name is exactly `name`, ascending by ID.
    func documents(named name: String) throws -> [UInt64]
    /// Calls `body` with up to `limit` (normalised name, document) entries whose name starts
    /// with `prefix`, in name byte order, then ascending ID. The name is its UTF-8 bytes and may
    /// point into the database map, valid only during the call: a scan reads hundreds of names
    /// and ranks them by length alone.
    func forEachNameEntry(prefix: [UInt8], limit: Int, _ body: (UnsafeRawBufferPointer, UInt64) throws -> Void) throws
    /// Calls `body` with up to `limit` (typo key, document) entries whose `TypoKeys` key starts
    /// with `prefix`, in key byte order. The key may point into the database map and is valid
    /// only during the call: a scan reads thousands and keeps a few.
    func forEachTypoEntry(prefix: [UInt8], limit: Int, _ body: (UnsafeRawBufferPointer, UInt64) throws -> Void) throws
    /// Calls `body` with the postings of each of `tokens` that has any, in the order given: a
    /// query word's forms, looked up together (one cursor for all). The buffers may point into
    /// the database map and are valid only during the call.
    func withPostings<R>(forAny tokens: [String], _ body: ([SearchPostings]) throws -> R) throws -> R
    func summary(of docID: UInt64) throws -> SearchSummary?
    /// A document's scope and published name: all that ranking typo candidates needs, and
    /// cheaper to read than the whole summary where a store can skip the rest.
    func scopeAndName(of docID: UInt64) throws -> (scope: String, name: String)?
    /// How much the document's package is used; nil when nobody reported it.
    func popularity(of docID: UInt64) throws -> PackagePopularity?
    /// `popularity(of:)` for each of `docIDs` (ascending), in that order: word matches read
    /// hundreds, and a store can walk them with one cursor.
    func popularities(of docIDs: [UInt64]) throws -> [PackagePopularity?]
}

extension SearchIndex {
    public func popularities(of docIDs: [UInt64]) throws -> [PackagePopularity?] {
        try docIDs.map { try popularity(of: $0) }
    }

    public func scopeAndName(of docID: UInt64) throws -> (scope: String, name: String)? {
        try summary(of: docID).map { ($0.package.scope, $0.name) }
    }
}

/// A token's postings: contiguous entries of an 8-byte big-endian document ID, a 1-byte
/// weight and the document's `PopularityBucket`, ascending by ID. Big-endian makes byte order
/// and numeric order agree, so LMDB's default comparison sorts them.
public struct SearchPostings {
    public static let entrySize = 10

    public let bytes: UnsafeRawBufferPointer

    /// `bytes.count` must be a multiple of `entrySize`; a stray tail is ignored.
    public init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    public var count: Int { bytes.count / Self.entrySize }

    /// No entries: a word none of whose forms is in the index.
    static var empty: SearchPostings { SearchPostings(UnsafeRawBufferPointer(start: nil, count: 0)) }

    public func docID(at index: Int) -> UInt64 {
        UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: index * Self.entrySize, as: UInt64.self))
    }

    public func weight(at index: Int) -> UInt8 {
        bytes[index * Self.entrySize + 8]
    }

    public func bucket(at index: Int) -> PopularityBucket {
        PopularityBucket(rawValue: bytes[index * Self.entrySize + 9])
    }

    /// First index at or after `start` whose ID is ≥ `target`: gallops then bisects, so walking
    /// a long list in step with a short one costs O(short · log(long / short)).
    public func seek(_ target: UInt64, from start: Int) -> Int {
        var low = start
        guard low < count, docID(at: low) < target else { return low }
        var step = 1
        var high = low + step
        while high < count, docID(at: high) < target {
            low = high
            step <<= 1
            high = low + step
        }
        high = min(high, count)
        low += 1
        while low < high {
            let middle = (low + high) / 2
            if docID(at: middle) < target { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// Calls `body` with each of `lists` (stored layout) as postings.
    public static func withEach<R>(_ lists: [[UInt8]], _ body: ([SearchPostings]) throws -> R) rethrows -> R {
        func next(_ remaining: ArraySlice<[UInt8]>, _ done: [SearchPostings]) throws -> R {
            guard let list = remaining.first else { return try body(done) }
            return try list.withUnsafeBytes { try next(remaining.dropFirst(), done + [SearchPostings($0)]) }
        }
        return try next(lists[...], [])
    }

    /// Encodes entries as stored: sorted by ID; a repeated ID keeps its largest weight.
    public static func encode(_ entries: [(docID: UInt64, weight: UInt8, bucket: PopularityBucket)]) -> [UInt8] {
        let sorted = entries.sorted { $0.docID != $1.docID ? $0.docID < $1.docID : $0.weight > $1.weight }
        var out: [UInt8] = []
        out.reserveCapacity(sorted.count * entrySize)
        var last: UInt64?
        for entry in sorted where entry.docID != last {
            last = entry.docID
            out.append(contentsOf: entryBytes(docID: entry.docID, weight: entry.weight, bucket: entry.bucket))
        }
        return out
    }

    /// One entry's bytes, for writing a single posting.
    public static func entryBytes(docID: UInt64, weight: UInt8, bucket: PopularityBucket) -> [UInt8] {
        var out = BigEndian.bytes(docID)
        out.reserveCapacity(entrySize)
        out.append(weight)
        out.append(bucket.rawValue)
        return out
    }
}
