import AgoraCore
import Foundation
import Testing
import AgoraStore
import AgoraTestSupport
@testable import AgoraViews

/// The LMDB index must answer exactly like the in-memory one built from the same documents.
@Suite struct LMDBSearchIndexTests {
    static let syllables = [
        "ja", "son", "kit", "net", "py", "lib", "data", "fast", "util", "log", "http", "core", "io", "web", "db", "sql",
        "tool", "cli", "test", "num", "req", "auth", "cache", "queue", "crypto", "date", "time", "parse", "gen", "map",
    ]
    static let words = [
        "fast", "parser", "http", "client", "server", "json", "yaml", "queue", "crypto", "hash", "date", "time", "zone",
        "image", "audio", "stream", "async", "cache", "store", "graph", "tree", "matrix", "vector", "plot", "shell",
    ]
    static let keywords = ["web", "cli", "data", "net", "Machine Learning", "crypto"]

    /// Generated feeds: a few thousand packages over five scopes, some updated, some yanked,
    /// some also published by a second key (contested). Every description has `common`, so its
    /// postings span many LMDB pages.
    static func generatedFeeds(packages: Int, seed: UInt64) -> [[Event]] {
        var rng = SeededGenerator(seed: seed)
        var feeds = (1...4).map { FeedBuilder(seed: UInt8(20 + $0)) }
        let scopes = ["acme", "beta", "gamma", "delta", "omega"]
        var used = Set<PackageKey>()
        while used.count < packages {
            let parts = (0..<Int.random(in: 1...3, using: &rng)).map { _ in syllables.randomElement(using: &rng)! }
            let separator = ["", "-", "_"].randomElement(using: &rng)!
            var name = parts.joined(separator: separator)
            if Int.random(in: 0..<5, using: &rng) == 0 { name = parts.map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined() }
            let scope = scopes.randomElement(using: &rng)!
            guard used.insert(PackageKey(scope: scope, name: name)).inserted else { continue }
            func text() -> String {
                (["common"] + (0..<Int.random(in: 2...8, using: &rng)).map { _ in words.randomElement(using: &rng)! }).joined(separator: " ")
            }
            let picked = (0..<Int.random(in: 0...2, using: &rng)).map { _ in keywords.randomElement(using: &rng)! }
            let authors = [["Alice Smith"], ["Bob Jones"], []].randomElement(using: &rng)!
            let owner = Int.random(in: 0..<feeds.count, using: &rng)
            feeds[owner].publish(scope, name, "1.0.0", description: text(), keywords: picked, authors: authors)
            switch Int.random(in: 0..<20, using: &rng) {
            case 0, 1: feeds[owner].publish(scope, name, "1.1.0", description: text(), keywords: picked, authors: authors)
            case 2: feeds[owner].yank(scope, name, "1.0.0", reason: "withdrawn")
            case 3: feeds[(owner + 1) % feeds.count].publish(scope, name, "0.9.0", description: text())
            default: break
            }
        }
        return feeds.map(\.events)
    }

    /// The documents computed straight from the events by the pure folds, without LMDB.
    static func expectedDocuments(_ events: [Event]) -> [SearchDocument] {
        var byPackage: [PackageKey: [Event]] = [:]
        for event in events {
            if let key = PackageFold.packageKey(of: event) { byPackage[key, default: []].append(event) }
        }
        return byPackage.compactMap { key, events in
            PackageFold.fold(package: key, events: events, principals: { $0 }).flatMap { SearchDocument(state: $0) }
        }
    }

    @Test func answersLikeTheMemoryIndex() throws {
        let feeds = Self.generatedFeeds(packages: 3_000, seed: 42)
        let events = feeds.flatMap { $0 }
        let documents = Self.expectedDocuments(events)
        let memory = InMemorySearchIndex(documents: documents)
        #expect(memory.documentCount == 3_000)

        let directory = try TemporaryDirectory()
        let store = try RegistryViewsTestSupport.openRegistryStore(directory)
        var rng = SeededGenerator(seed: 7)
        #expect(try RegistryViewsTestSupport.appendInBatches(
            RegistryViewsTestSupport.interleave(feeds, using: &rng), to: store, maxBatch: 700, using: &rng))

        try store.withSearchIndex { index in
            var tokens = Set<String>()
            var prefixes = Set<String>()
            for document in documents {
                #expect(try index.documents(named: document.normalisedName) == memory.documents(named: document.normalisedName))
                for prefix in TypoKeys.scans(for: document.normalisedName) {
                    var stored: [String] = []
                    try index.forEachTypoEntry(prefix: prefix, limit: 100) { stored.append("\(Array($0)) \($1)") }
                    var expected: [String] = []
                    memory.forEachTypoEntry(prefix: prefix, limit: 100) { expected.append("\(Array($0)) \($1)") }
                    #expect(stored == expected)
                }
                #expect(try index.summary(of: document.docID) == document.summary)
                tokens.formUnion(document.terms.map(\.token))
                for length in 1...3 { prefixes.insert(String(document.normalisedName.prefix(length))) }
            }
            for token in tokens.sorted() {
                let stored = try index.withPostings(forAny: [token]) { $0.map { Array($0.bytes) } }
                #expect(stored == memory.withPostings(forAny: [token]) { $0.map { Array($0.bytes) } }, "postings of \(token)")
            }
            // Several at once, absent ones left out, in the order asked.
            let asked = ["zzzz"] + tokens.sorted().prefix(6) + ["common", "zzzz"]
            #expect(try index.withPostings(forAny: asked) { $0.map { Array($0.bytes) } } == memory.withPostings(forAny: asked) { $0.map { Array($0.bytes) } })
            func nameEntries(_ index: some SearchIndex, _ prefix: String) throws -> [String] {
                var out: [String] = []
                try index.forEachNameEntry(prefix: Array(prefix.utf8), limit: 50) { out.append("\(String(decoding: $0, as: UTF8.self)) \($1)") }
                return out
            }
            for prefix in prefixes.sorted() {
                #expect(try nameEntries(index, prefix) == nameEntries(memory, prefix))
            }
            #expect(try index.documents(named: "no-such-name").isEmpty)
            #expect(try index.withPostings(forAny: ["zzzz"]) { $0.count } == 0)
        }

        let common = try store.read { txn in
            try txn.withCursor(RegistryDatabases(store).postings) { cursor in
                var runs = 0
                try cursor.forEachRun(of: Array("common".utf8)) { _ in runs += 1; return true }
                return runs
            }
        }
        #expect(common > 1, "the shared word's postings must span several pages, exercising the copying path")
        #expect(try store.withSearchIndex { try $0.withPostings(forAny: ["common", "solo-missing", "common"]) { $0.map(\.count) } } == [3_000, 3_000])

        var queries: [(String, SearchFilters)] = []
        for _ in 0..<150 {
            let document = documents.randomElement(using: &rng)!
            let name = document.normalisedName
            queries.append((name, SearchFilters()))
            queries.append(("\(document.summary.package.scope)/\(document.summary.name)", SearchFilters(limit: 5)))
            queries.append((String(name.prefix(max(1, name.count - 2))), SearchFilters(limit: 10)))
            queries.append((OneEdit.apply(to: name, using: &rng), SearchFilters(limit: 10)))
        }
        for _ in 0..<100 {
            let pair = "\(Self.words.randomElement(using: &rng)!) \(Self.words.randomElement(using: &rng)!)"
            queries.append((pair, SearchFilters(limit: 50)))
            queries.append((Self.words.randomElement(using: &rng)!, SearchFilters(keyword: "web", limit: 30)))
            queries.append((Self.words.randomElement(using: &rng)!, SearchFilters(author: "alice", includeYanked: true, limit: 30)))
        }
        queries.append(("common", SearchFilters(limit: 1000)))
        queries.append(("common json nonexistentword", SearchFilters(limit: 100)))
        for (query, filters) in queries {
            let expected = try SearchEngine.search(query: query, filters: filters, index: memory)
            #expect(try store.search(query: query, filters: filters) == expected, "query \(query)")
        }
    }

    @Test func singleValueKeysComeBackAsOneRun() throws {
        let directory = try TemporaryDirectory()
        let store = try RegistryViewsTestSupport.openRegistryStore(directory)
        let entry = SearchPostings.entryBytes(docID: 0x0102_0304_0506_0708, weight: 9, bucket: .none)
        try store.environment.write { txn in try txn.put(RegistryDatabases(store).postings, key: Array("solo".utf8), value: entry) }
        let runs = try store.read { txn in
            try txn.withCursor(RegistryDatabases(store).postings) { cursor in
                var runs: [[UInt8]] = []
                try cursor.forEachRun(of: Array("solo".utf8)) { runs.append(Array($0)); return true }
                return runs
            }
        }
        #expect(runs == [entry])
        #expect(try store.withSearchIndex { try $0.withPostings(forAny: ["solo"]) { $0.map { $0.docID(at: 0) } } } == [0x0102_0304_0506_0708])
    }

    /// Search shows a stored summary without hashing its key (the views are derived data that
    /// `agora verify` rebuilds and compares): a summary naming another package under its own ID
    /// is shown as stored, and `verify` reports it; one stored under another document's ID, or
    /// bytes that are no summary, fail the search as a corrupt store, never a crash. The
    /// writer's read still checks the hash.
    @Test func hostileSummariesAreShownAsStoredOrRefused() throws {
        let feeds = Self.generatedFeeds(packages: 300, seed: 5)
        let documents = Self.expectedDocuments(feeds.flatMap { $0 }).sorted { $0.docID < $1.docID }
        let directory = try TemporaryDirectory()
        let store = try RegistryViewsTestSupport.openRegistryStore(directory)
        var rng = SeededGenerator(seed: 17)
        #expect(try RegistryViewsTestSupport.appendInBatches(
            RegistryViewsTestSupport.interleave(feeds, using: &rng), to: store, maxBatch: 100, using: &rng))
        let docs = try RegistryDatabases(store).docs
        // Names held by one document only, so the exact match is that document.
        let named = Dictionary(grouping: documents, by: \.normalisedName).values.filter { $0.count == 1 && !$0[0].summary.yanked }.map { $0[0] }
            .sorted { $0.docID < $1.docID }
        #expect(named.count > 20)
        for round in 0..<20 {
            let target = named[(round * 7) % named.count]
            let key = BigEndian.bytes(target.docID)
            var forged = target.summary
            forged.package = PackageKey(scope: "forged\(round)", name: "other")
            forged.description = "forged \(round)"
            let shown = forged
            try store.environment.write { txn in try txn.put(docs, key: key, value: shown.encoded()) }
            let hits = try store.search(query: target.normalisedName)
            #expect(hits.first?.summary == forged, "round \(round)")
            #expect(hits.first?.tier == .exactName)
            #expect(throws: ViewDecodeError.self) { try SearchSummary(decoding: shown.encoded()) }
            if round == 0 { #expect(try store.verifyViews().equal == false) }

            let other = named[(round * 7 + 1) % named.count]
            let misplaced: [[UInt8]] = [
                other.summary.encoded(),
                (0..<Int.random(in: 0...60, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) },
            ]
            for value in misplaced {
                try store.environment.write { txn in try txn.put(docs, key: key, value: value) }
                #expect(throws: StoreError.self, "round \(round)") { try store.search(query: target.normalisedName) }
            }
            try store.environment.write { txn in try txn.put(docs, key: key, value: target.summary.encoded()) }
            #expect(try store.search(query: target.normalisedName).first?.summary == target.summary)
        }
        #expect(try store.verifyViews().equal)
    }

    /// A word's forms read from LMDB merge to their union, whatever order they are given in and
    /// whichever is largest (the rarer merged, the commonest left as read): each document once,
    /// with its largest weight; its count and per-form lookups agree with that union. Lists of
    /// up to 3,000 entries span several pages, so both the in-place and the copied postings are
    /// merged.
    @Test func aWordsFormsMergeToTheirUnion() throws {
        let directory = try TemporaryDirectory()
        let store = try RegistryViewsTestSupport.openRegistryStore(directory)
        let postings = try RegistryDatabases(store).postings
        var rng = SeededGenerator(seed: 61)
        for round in 0..<40 {
            // Postings of one document carry its one bucket, as the view writes them.
            let buckets = (0..<4_000).map { _ in PopularityBucket(rawValue: UInt8.random(in: 0...255, using: &rng)) }
            var forms: [String] = []
            var lists: [[(docID: UInt64, weight: UInt8, bucket: PopularityBucket)]] = []
            for form in 0..<Int.random(in: 1...5, using: &rng) {
                let size = Bool.random(using: &rng) ? Int.random(in: 0...3_000, using: &rng) : Int.random(in: 0...40, using: &rng)
                let ids = Set((0..<size).map { _ in Int.random(in: 0..<4_000, using: &rng) })
                lists.append(ids.map { (UInt64($0), UInt8.random(in: 1...255, using: &rng), buckets[$0]) })
                forms.append("w\(round)f\(form)")
            }
            try store.environment.write { txn in
                for (form, list) in zip(forms, lists) {
                    for entry in list {
                        try txn.put(postings, key: Array(form.utf8), value: SearchPostings.entryBytes(docID: entry.docID, weight: entry.weight, bucket: entry.bucket))
                    }
                }
            }
            var expected: [UInt64: (weight: UInt8, bucket: PopularityBucket)] = [:]
            for entry in lists.joined() {
                expected[entry.docID] = (max(expected[entry.docID]?.weight ?? 0, entry.weight), entry.bucket)
            }
            let wanted = SearchPostings.encode(expected.map { (docID: $0.key, weight: $0.value.weight, bucket: $0.value.bucket) })
            forms.shuffle(using: &rng)
            // A second word after the merged one reaches `body` unmerged and in its place.
            let words = [forms + ["w\(round)absent"], [forms[0]]]
            let (merged, counts, found) = try store.withSearchIndex { index in
                try SearchEngine.withWordPostings(words[...], index, []) { words in
                    // Looked up per form, without merging: what the merged list holds.
                    var cursor = (common: 0, others: 0)
                    let found = stride(from: UInt64(0), to: 4_001, by: 3).map { words[0].find($0, from: &cursor) }
                    return (words.map { $0.withMerged { Array($0.bytes) } }, words.map(\.count), found)
                }
            }
            let alone = lists[Int(forms[0].split(separator: "f").last!)!]
            #expect(merged.count == 2, "round \(round)")
            #expect(merged.first ?? [] == wanted, "round \(round): forms \(lists.map(\.count))")
            #expect(merged.last ?? [] == SearchPostings.encode(alone), "round \(round)")
            #expect(counts == [expected.count, Set(alone.map(\.docID)).count], "round \(round)")
            let wantedFound = stride(from: UInt64(0), to: 4_001, by: 3).map { docID in expected[docID].map { ($0.weight, $0.bucket.rawValue) } }
            #expect(found.map { $0.map { "\($0.weight) \($0.bucket)" } } == wantedFound.map { $0.map { "\($0.0) \($0.1)" } }, "round \(round)")
        }
    }
}
