import AgoraCore
import Foundation
import Testing
import AgoraStore
import AgoraTestSupport
@testable import AgoraViews

/// The popularity bucket stored beside each posting entry, and the word-match pruning it allows.
@Suite struct PopularityBucketTests {
    @Test func bucketsBoundEveryScore() {
        #expect(PopularityBucket(nil) == .none && PopularityBucket.none.isNone)
        #expect(PopularityBucket.none.lowerBound == 0 && PopularityBucket.none.upperBound == 0)
        let fixed: [(UInt32, UInt8)] = [(0, 1), (1, 1), (1000, 1), (1001, 2), (2000, 2), (2001, 3), (254_000, 254), (254_001, 255), (.max, 255)]
        for (milli, raw) in fixed {
            #expect(PopularityBucket(PackagePopularity(reporters: 1, milliScore: milli)).rawValue == raw, "milli \(milli)")
        }
        var rng = SeededGenerator(seed: 5)
        for _ in 0..<20_000 {
            let boundary = UInt32.random(in: 0...300, using: &rng) * 1000
            let milli = Bool.random(using: &rng)
                ? UInt32(clamping: Int64(boundary) + Int64.random(in: -2...2, using: &rng))
                : UInt32.random(in: 0...UInt32.max, using: &rng)
            let popularity = PackagePopularity(reporters: 3, milliScore: milli)
            let bucket = PopularityBucket(popularity)
            #expect(!bucket.isNone)
            #expect(bucket.lowerBound <= popularity.score && popularity.score <= bucket.upperBound, "milli \(milli)")
        }
    }

    @Test func largestMatchesSorting() {
        var rng = SeededGenerator(seed: 9)
        for _ in 0..<500 {
            let count = Int.random(in: 1...300, using: &rng)
            let spread = [1, 5, 1000].randomElement(using: &rng)!
            let values = (0..<count).map { _ in Double(Int.random(in: 0..<spread, using: &rng)) / 2 }
            let sorted = values.sorted(by: >)
            let rank = Int.random(in: 1...count, using: &rng)
            #expect(SearchEngine.largest(rank, of: values) == sorted[rank - 1])
        }
        let ascending = (0..<5000).map(Double.init)
        #expect(SearchEngine.largest(10, of: ascending) == 4990)
        #expect(SearchEngine.largest(10, of: ascending.reversed()) == 4990)
    }

    /// The contenders' best `count` by exact rank are the pool's best `count`, and only
    /// contenders with a record are read.
    @Test func pruningKeepsThePoolsBest() throws {
        var rng = SeededGenerator(seed: 11)
        for round in 0..<300 {
            let size = Int.random(in: 0...900, using: &rng)
            var docIDs = Set<UInt64>()
            while docIDs.count < size { docIDs.insert(UInt64.random(in: 0...UInt64(size * 4 + 8), using: &rng)) }
            var records: [UInt64: PackagePopularity] = [:]
            let pool = docIDs.sorted().map { docID -> SearchEngine.WordMatch in
                if Int.random(in: 0..<3, using: &rng) == 0 {
                    // Scores around bucket boundaries and text scores that tie.
                    let milli = UInt32.random(in: 1...90, using: &rng) * 1000 + [0, 1, 999].randomElement(using: &rng)!
                    records[docID] = PackagePopularity(reporters: 2, milliScore: milli)
                }
                return SearchEngine.WordMatch(
                    docID: docID, words: Int.random(in: 1...2, using: &rng), weight: [2, 6, 12, 14, 40].randomElement(using: &rng)!,
                    bucket: PopularityBucket(records[docID]))
            }
            let index = ReadCounting(base: InMemorySearchIndex(documents: [], popularity: records))
            let count = Int.random(in: 1...250, using: &rng)
            let (contenders, popularity) = try SearchEngine.popularities(of: pool, best: count, queryWords: 2, index)
            func best(_ positions: [Int], _ popularity: (Int) -> PackagePopularity?) -> [UInt64] {
                let ranked = positions.map { (docID: pool[$0].docID, rank: pool[$0].score(of: 2) + (popularity($0)?.score ?? 0)) }
                return ranked.sorted { $0.rank != $1.rank ? $0.rank > $1.rank : $0.docID < $1.docID }.prefix(count).map(\.docID)
            }
            #expect(best(contenders, { popularity[$0] }) == best(Array(pool.indices), { records[pool[$0].docID] }), "round \(round)")
            for position in contenders { #expect(popularity[position] == records[pool[position].docID]) }
            #expect(index.reads.current <= contenders.filter { !pool[$0].bucket.isNone }.count)
        }
    }

    /// Postings follow the record's bucket as counts cross whole units, drop to none when the
    /// only reporter becomes an owner, and start in the right bucket for a package counted
    /// before its first release; every step equals a rebuild, and every order the same bytes.
    @Test func postingsFollowTheBucket() throws {
        var alice = FeedBuilder(seed: 41)
        var mirror = FeedBuilder(seed: 42)
        var steps: [[Event]] = []
        steps.append([alice.publish("acme", "tool", "1.0.0", description: "hammer nails")])
        // One reporter: log2(1 + total) = 1, 2, 3, then 3.17 (bucket 4).
        for (period, count) in [(1, 1), (2, 2), (3, 4), (4, 1)] as [(UInt64, UInt64)] {
            steps.append([mirror.count(period: period, ["acme/tool": count])])
        }
        // A re-sent smaller count and the owner's own report change nothing.
        steps.append([mirror.count(period: 1, ["acme/tool": 1]), alice.count(period: 9, ["acme/tool": 1_000_000])])
        // Counted before its first release: the release's postings start in the record's bucket.
        steps.append([mirror.count(period: 5, ["acme/late": 100])])
        steps.append([alice.publish("acme", "late", "1.0.0", description: "hammer drills")])
        // The reporter claims the package too: its reports are now its own, the record goes.
        steps.append([mirror.publish("acme", "tool", "2.0.0", description: "hammer nails")])

        let directory = try TemporaryDirectory()
        let store = try RegistryViewsTestSupport.openRegistryStore(directory)
        var seen: [String: [UInt8]] = [:]
        for (number, step) in steps.enumerated() {
            _ = try store.append(step, verification: .chain)
            for name in ["acme/tool", "acme/late"] {
                let docID = SearchDocument.docID(for: PackageKey(name)!)
                let (buckets, expected) = try Self.postingBuckets(of: docID, in: store)
                #expect(buckets.values.allSatisfy { $0 == [expected.rawValue] }, "step \(number) \(name): \(buckets)")
                seen[name, default: []].append(expected.rawValue)
            }
            #expect(try store.verifyViews().equal, "step \(number)")
        }
        #expect(seen["acme/tool"] == [0, 1, 2, 3, 4, 4, 4, 4, 0])
        #expect(seen["acme/late"] == [0, 0, 0, 0, 0, 0, 7, 7, 7])

        // Any interleaving, batching or preparation gives the same bytes.
        let reference = try RegistryViewsTestSupport.snapshot(store)
        for seed in UInt64(1)...6 {
            var rng = SeededGenerator(seed: seed)
            let ordered = RegistryViewsTestSupport.interleave([alice.events, mirror.events], using: &rng)
            let other = try TemporaryDirectory()
            let shuffled = try RegistryViewsTestSupport.openRegistryStore(other)
            var start = 0
            while start < ordered.count {
                let end = min(ordered.count, start + Int.random(in: 1...3, using: &rng))
                let batch = Array(ordered[start..<end])
                _ = seed % 2 == 0 ? try shuffled.append(shuffled.prepareAppend(batch), verification: .chain) : try shuffled.append(batch, verification: .chain)
                start = end
            }
            #expect(try RegistryViewsTestSupport.snapshot(shuffled) == reference, "seed \(seed)")
        }
    }

    /// A damaged bucket byte changes at most a ranking: searches run, verification reports the
    /// difference, an append that must move the damaged entry fails with a clear error and
    /// appends nothing, and a rebuild repairs it.
    @Test func damagedBucketsAreNoTrap() throws {
        let feeds = LMDBSearchIndexTests.generatedFeeds(packages: 400, seed: 3)
        var mirror = FeedBuilder(seed: 43)
        let documents = LMDBSearchIndexTests.expectedDocuments(feeds.flatMap { $0 })
        var counts: [(String, UInt64)] = []
        for document in documents.prefix(150) { counts.append(("\(document.summary.package)", UInt64(document.docID % 5000 + 1))) }
        mirror.append(.retrievalsCounted(try RetrievalsCounted(period: 1, counts: counts.sorted { $0.0 < $1.0 })))
        let directory = try TemporaryDirectory()
        let store = try RegistryViewsTestSupport.openRegistryStore(directory)
        _ = try store.append(feeds.flatMap { $0 } + mirror.events, verification: .chain)
        #expect(try store.verifyViews().equal)

        var rng = SeededGenerator(seed: 17)
        let postings = try RegistryDatabases(store).postings
        let victim = documents[0]
        let token = victim.terms[0].token
        try store.environment.write { txn in
            var entries: [([UInt8], [UInt8])] = []
            try txn.forEach(postings) { entry in
                if Int.random(in: 0..<7, using: &rng) == 0 || (Array(entry.key) == Array(token.utf8) && entry.value.starts(with: BigEndian.bytes(victim.docID))) {
                    entries.append((Array(entry.key), Array(entry.value)))
                }
                return true
            }
            for (key, value) in entries {
                #expect(try txn.delete(postings, key: key, value: value))
                var damaged = value
                damaged[9] = damaged[9] == 255 ? 0 : UInt8.random(in: (damaged[9] &+ 1)...255, using: &rng)
                try txn.put(postings, key: key, value: damaged)
            }
        }
        for query in ["common", "common json", "http client", "fast parser", token, victim.normalisedName] {
            for sort in SearchSort.allCases {
                _ = try store.search(query: query, filters: SearchFilters(limit: 50, sort: sort))
            }
        }
        #expect(try !store.verifyViews().equal)

        let before = try store.read { txn in try txn.count(store.databases.log) }
        mirror.count(period: 2, ["\(victim.summary.package)": 1_000_000])
        #expect(throws: StoreError.self) { try store.append([mirror.events.last!], verification: .chain) }
        #expect(try store.read { txn in try txn.count(store.databases.log) } == before)
        try store.rebuildViews()
        #expect(try store.verifyViews().equal)
        #expect(try store.append([mirror.events.last!], verification: .chain).count == 1)
        #expect(try store.verifyViews().equal)
    }

    /// Each posting entry of the document's stored terms by token (the buckets found; one per
    /// term when intact), and the bucket its popularity record gives.
    static func postingBuckets(of docID: UInt64, in store: Store) throws -> (buckets: [String: [UInt8]], expected: PopularityBucket) {
        let databases = try RegistryDatabases(store)
        return try store.read { txn in
            var buckets: [String: [UInt8]] = [:]
            if let summary = try store.withSearchIndex({ try $0.summary(of: docID) }) {
                for term in SearchDocument(summary: summary).terms { buckets[term.token] = [] }
            }
            try txn.forEach(databases.postings) { entry in
                if entry.value.count == SearchPostings.entrySize, entry.value.starts(with: BigEndian.bytes(docID)) {
                    buckets[String(decoding: entry.key, as: UTF8.self), default: []].append(entry.value[9])
                }
                return true
            }
            return (buckets, try SearchIndexWriter.storedBucket(docID, txn: txn, databases: databases))
        }
    }

    /// Counts popularity reads, and postings lookups (a page that falls back to ranking every
    /// word match looks the words up twice).
    struct ReadCounting: SearchIndex {
        let base: InMemorySearchIndex
        let reads = LockedBox(0)
        let lookups = LockedBox(0)

        func documents(named name: String) throws -> [UInt64] { base.documents(named: name) }
        func forEachNameEntry(prefix: [UInt8], limit: Int, _ body: (UnsafeRawBufferPointer, UInt64) throws -> Void) throws {
            try base.forEachNameEntry(prefix: prefix, limit: limit, body)
        }
        func forEachTypoEntry(prefix: [UInt8], limit: Int, _ body: (UnsafeRawBufferPointer, UInt64) throws -> Void) throws {
            try base.forEachTypoEntry(prefix: prefix, limit: limit, body)
        }
        func withPostings<R>(forAny tokens: [String], _ body: ([SearchPostings]) throws -> R) throws -> R {
            lookups.set(lookups.current + 1)
            return try base.withPostings(forAny: tokens, body)
        }
        func summary(of docID: UInt64) throws -> SearchSummary? { base.summary(of: docID) }
        func popularity(of docID: UInt64) throws -> PackagePopularity? {
            reads.set(reads.current + 1)
            return base.popularity(of: docID)
        }
    }
}
