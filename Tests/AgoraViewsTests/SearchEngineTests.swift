import AgoraCore
import Testing
import AgoraStore
import AgoraTestSupport
@testable import AgoraViews

@Suite struct SearchEngineTests {
    static func document(
        _ name: String, scope: String = "pypi", description: String = "", keywords: [String] = [],
        authors: [String] = [], yanked: Bool = false
    ) -> SearchDocument {
        SearchDocument(summary: SearchSummary(
            package: PackageKey(scope: scope, name: name), name: name, version: "1.0.0", description: description,
            keywords: keywords, authors: authors, yanked: yanked))
    }

    static let corpus: [SearchDocument] = [
        document("fastapi", description: "FastAPI framework, high performance"),
        document("scikit-learn", description: "A set of python modules for machine learning"),
        document("psycopg2-binary", description: "psycopg2 - Python-PostgreSQL Database Adapter"),
        document("jinja2", description: "A very fast and expressive template engine."),
        document("requests", description: "Python HTTP for Humans.", keywords: ["http", "client"], authors: ["Kenneth Reitz"]),
        document("requests-oauthlib", description: "OAuthlib authentication support for Requests."),
        document("requests-toolbelt", description: "A utility belt for advanced users of python-requests"),
        document("request", description: "An unrelated older library"),
        document("httpx", description: "The next generation HTTP client.", keywords: ["http", "async"]),
        document("aiohttp", description: "Async http client/server framework (asyncio)", keywords: ["http", "asyncio"]),
        document("urllib3", description: "HTTP library with thread-safe connection pooling"),
        document("flask", description: "A simple framework for building complex web applications."),
        document("flake", description: "Snow, not code"),
        document("json-kit", scope: "acme", description: "Fast JSON parsing", keywords: ["json"], authors: ["Ada"]),
        document("json-kit", scope: "other", description: "Another JSON kit"),
        document("old-http", description: "A yanked http client", keywords: ["http"], yanked: true),
    ]

    let index = InMemorySearchIndex(documents: corpus)

    func names(_ query: String, _ filters: SearchFilters = SearchFilters()) throws -> [String] {
        try SearchEngine.search(query: query, filters: filters, index: index).map(\.summary.package.description)
    }

    @Test func exactNameComesFirstThenPrefixThenWords() throws {
        let hits = try SearchEngine.search(query: "Requests", index: index)
        #expect(hits.map(\.summary.name).prefix(3) == ["requests", "requests-oauthlib", "requests-toolbelt"])
        #expect(hits.map(\.tier).prefix(3) == [.exactName, .namePrefix, .namePrefix])
        #expect(hits.dropFirst(3).allSatisfy { $0.tier > .namePrefix })
        #expect(zip(hits, hits.dropFirst()).allSatisfy { $0.tier <= $1.tier })
        #expect(hits.first { $0.summary.name == "request" }?.tier == .typo)
    }

    @Test func typosFindTheName() throws {
        for typo in ["reqeusts", "rquests", "requestss", "requezts", "rrequests"] {
            let first = try #require(try SearchEngine.search(query: typo, index: index).first)
            #expect(first.summary.name == "requests", "query \(typo)")
            #expect(first.tier == .typo)
        }
        let transposed = try #require(try SearchEngine.search(query: "falsk", index: index).first)
        #expect(transposed.summary.name == "flask")
        #expect(transposed.edit == .transposition)
        // "flaks" is one substitution from "flake" and one transposition from "flask".
        #expect(try names("flaks").first == "pypi/flask")
    }

    /// Words joined or split, separators and case: what people type for a name they know.
    @Test(arguments: [
        ("fast api", "pypi/fastapi"), ("Fast API", "pypi/fastapi"), ("scikit learn", "pypi/scikit-learn"),
        ("Scikit_Learn", "pypi/scikit-learn"), ("psycopg2binary", "pypi/psycopg2-binary"), ("jinja 2", "pypi/jinja2"),
        ("scikit lern", "pypi/scikit-learn"), ("fast apu", "pypi/fastapi"), ("psycopg2 binary", "pypi/psycopg2-binary"),
    ])
    func joinedAndSplitWordsFindTheName(query: String, expected: String) throws {
        #expect(try names(query).first == expected, "query \(query)")
    }

    @Test func wordsMatchByWeight() throws {
        let hits = try SearchEngine.search(query: "http", index: index)
        #expect(hits.first?.summary.name == "httpx")
        #expect(hits.first?.tier == .namePrefix)
        let words = hits.dropFirst()
        #expect(words.allSatisfy { $0.tier == .token })
        // Keyword + description beats description alone; the yanked package is hidden.
        #expect(words.prefix(2).map(\.summary.name) == ["aiohttp", "requests"] || words.prefix(2).map(\.summary.name) == ["requests", "aiohttp"])
        #expect(words.dropFirst(2).map(\.summary.name) == ["urllib3"])
        #expect(words.first!.score > words.last!.score)
        // Asked for, the yanked package ranks first among word matches: "http" is in its name.
        let withYanked = try SearchEngine.search(query: "http", filters: SearchFilters(includeYanked: true), index: index)
        #expect(withYanked.dropFirst().first?.summary.name == "old-http")
    }

    @Test func twoWordsIntersect() throws {
        // requests holds only "client", the commoner word: not a match.
        let hits = try SearchEngine.search(query: "async client", index: index)
        #expect(hits.map(\.summary.name).sorted() == ["aiohttp", "httpx"])
        #expect(try names("requests oauthlib").first == "pypi/requests-oauthlib")
        #expect(try SearchEngine.search(query: "requests oauthlib", index: index).first?.tier == .joinedWords)
        // No document has both words: fall back to documents with either.
        let either = try names("snow humans")
        #expect(Set(either) == ["pypi/flake", "pypi/requests"])
    }

    @Test func filtersAndLimit() throws {
        #expect(try names("http", SearchFilters(keyword: "async")) == ["pypi/httpx"])
        #expect(try names("http", SearchFilters(author: "reitz")) == ["pypi/requests"])
        #expect(try names("json-kit") == ["acme/json-kit", "other/json-kit"])
        #expect(try names("acme/json-kit") == ["acme/json-kit"])
        #expect(try names("json kit", SearchFilters(author: "ada")) == ["acme/json-kit"])
        #expect(try names("http", SearchFilters(limit: 2)).count == 2)
        #expect(try names("   ").isEmpty)
        #expect(try names("zzzzqqq").isEmpty)
    }

    /// The merged union equals a per-document tally of the lists, IDs at the extremes included.
    @Test func unionTalliesEveryList() {
        var rng = SeededGenerator(seed: 12)
        for _ in 0..<300 {
            let lists = (0..<Int.random(in: 1...5, using: &rng)).map { _ in
                (0..<Int.random(in: 0...60, using: &rng)).map { _ in
                    (docID: [0, .max, UInt64.random(in: 0...90, using: &rng)].randomElement(using: &rng)!,
                     weight: UInt8.random(in: 0...40, using: &rng), bucket: PopularityBucket(rawValue: UInt8.random(in: 0...255, using: &rng)))
                }
            }
            var expected: [UInt64: SearchEngine.WordMatch] = [:]
            for list in lists {
                for entry in SearchPostings.encodeForTest(list) {
                    var match = expected[entry.docID] ?? SearchEngine.WordMatch(docID: entry.docID, words: 0, weight: 0)
                    match.words += 1
                    match.weight += Int(entry.weight)
                    match.bucket = PopularityBucket(rawValue: max(match.bucket.rawValue, entry.bucket.rawValue))
                    expected[entry.docID] = match
                }
            }
            let encoded = lists.map(SearchPostings.encode)
            let union = SearchPostings.withEach(encoded) { SearchEngine.union($0) }
            #expect(union.map(\.docID) == expected.keys.sorted())
            #expect(union.map { "\($0.words) \($0.weight) \($0.bucket.rawValue)" } == expected.keys.sorted().map {
                "\(expected[$0]!.words) \(expected[$0]!.weight) \(expected[$0]!.bucket.rawValue)"
            })
        }
    }

    @Test func postingsSeekAndEncode() {
        let entries: [(docID: UInt64, weight: UInt8, bucket: PopularityBucket)] =
            (0..<1000).map { (UInt64($0 * 3), UInt8($0 % 200), PopularityBucket(rawValue: UInt8($0 % 256))) } + [(9, 250, PopularityBucket(rawValue: 7))]
        let bytes = SearchPostings.encode(entries.reversed())
        bytes.withUnsafeBytes { raw in
            let postings = SearchPostings(raw)
            #expect(postings.count == 1000)
            #expect(postings.docID(at: 3) == 9 && postings.weight(at: 3) == 250 && postings.bucket(at: 3).rawValue == 7)
            #expect(postings.bucket(at: 999).rawValue == UInt8(999 % 256))
            #expect(postings.seek(10, from: 0) == 4)
            #expect(postings.seek(2997, from: 5) == 999)
            #expect(postings.seek(5000, from: 0) == 1000)
            #expect(postings.seek(0, from: 7) == 7)
        }
        #expect(SearchPostings.entryBytes(docID: 0x0102_0304_0506_0708, weight: 9, bucket: PopularityBucket(rawValue: 60)) == [1, 2, 3, 4, 5, 6, 7, 8, 9, 60])
    }

    @Test func documentsFromPackageState() throws {
        var alice = FeedBuilder(seed: 1)
        let manifest = Manifest(
            scope: "acme", name: "JSONKit", version: "2.0.0", description: "Streaming JSON parser",
            keywords: ["json", "parser"], authors: ["Ada Lovelace"])
        alice.publish("acme", "JSONKit", "1.0.0")
        alice.publish("acme", "JSONKit", "2.0.0", manifest: manifest)
        let state = try #require(PackageFold.fold(
            package: PackageKey(scope: "acme", name: "jsonkit"), events: alice.events, principals: { $0 }))
        let document = try #require(SearchDocument(state: state))
        #expect(document.docID == SearchDocument.docID(for: PackageKey(scope: "ACME", name: "JsonKit")))
        #expect(document.summary.version == "2.0.0")
        #expect(document.summary.publisher == alice.key)
        #expect(document.normalisedName == "jsonkit")
        let weights = Dictionary(uniqueKeysWithValues: document.terms.map { ($0.token, $0.weight) })
        #expect(weights["json"] == SearchDocument.Weight.name + SearchDocument.Weight.keyword + SearchDocument.Weight.description)
        #expect(weights["parser"] == SearchDocument.Weight.keyword + SearchDocument.Weight.description)
        #expect(try SearchSummary(decoding: document.summary.encoded()) == document.summary)
        #expect(throws: ViewDecodeError.self) { try SearchSummary(decoding: [0x08, 0x01, 0x12, 0x01, 0x61, 0x1a, 0x01, 0x62]) }
    }

    @Test func generatedCorpusFindsEveryNameExactlyAndByTypo() throws {
        var rng = SeededGenerator(seed: 2024)
        let syllables = ["ka", "lo", "mi", "ra", "to", "zen", "qua", "bel", "dor", "fi", "nu", "sha", "vex", "py", "io"]
        let words = ["parser", "client", "server", "async", "crypto", "image", "graph", "queue", "cache", "stream"]
        var documents: [SearchDocument] = []
        var seen = Set<String>()
        while documents.count < 3000 {
            let parts = (0..<Int.random(in: 2...4, using: &rng)).map { _ in syllables.randomElement(using: &rng)! }
            let name = parts.joined() + (Bool.random(using: &rng) ? "-" + words.randomElement(using: &rng)! : "")
            guard seen.insert(name).inserted else { continue }
            let description = (0..<5).map { _ in words.randomElement(using: &rng)! }.joined(separator: " ")
            documents.append(Self.document(name, description: description))
        }
        let index = InMemorySearchIndex(documents: documents)
        #expect(index.documentCount == 3000)
        for document in documents.prefix(300) {
            let hits = try SearchEngine.search(query: document.summary.name, index: index)
            #expect(hits.first?.docID == document.docID)
            #expect(hits.first?.tier == .exactName)
        }
        var typoFirst = 0
        let sample = documents.suffix(300)
        for document in sample {
            let typo = OneEdit.apply(to: document.normalisedName, using: &rng)
            let hits = try SearchEngine.search(query: typo, filters: SearchFilters(limit: 100), index: index)
            #expect(hits.contains { $0.docID == document.docID }, "\(typo) should find \(document.normalisedName)")
            if hits.first?.docID == document.docID { typoFirst += 1 }
        }
        #expect(typoFirst * 10 >= sample.count * 7)
        // Documents holding both words come before those holding one (no popularity here).
        let pair = try SearchEngine.search(query: "crypto queue", filters: SearchFilters(limit: 1000), index: index)
        let both = pair.map { hit in
            Set(index.summary(of: hit.docID).map { Tokenizer.textTokens($0.description + " " + $0.name) } ?? []).isSuperset(of: ["crypto", "queue"])
        }
        #expect(both.first == true && both.contains(false))
        #expect(!zip(both, both.dropFirst()).contains { !$0 && $1 }, "a partial match ranked above a full one")
    }
}

extension SearchPostings {
    /// The entries `encode` keeps: one per ID, its largest weight.
    static func encodeForTest(_ entries: [(docID: UInt64, weight: UInt8, bucket: PopularityBucket)]) -> [(docID: UInt64, weight: UInt8, bucket: PopularityBucket)] {
        let bytes = encode(entries)
        return bytes.withUnsafeBytes { raw in
            let postings = SearchPostings(raw)
            return (0..<postings.count).map { (postings.docID(at: $0), postings.weight(at: $0), postings.bucket(at: $0)) }
        }
    }
}
