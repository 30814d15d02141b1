import AgoraCore
import Testing
import AgoraStore
import AgoraTestSupport
@testable import AgoraViews

/// Query understanding (joined and split words, separators, case, word forms, aliases, a typo
/// in two words) and how popularity ranks what it finds, on small in-memory corpora.
@Suite struct SearchQueryUnderstandingTests {
    static func document(_ name: String, _ description: String = "") -> SearchDocument {
        SearchEngineTests.document(name, description: description)
    }

    static func used(_ names: [String], score: UInt32 = 60_000) -> [UInt64: PackagePopularity] {
        Dictionary(uniqueKeysWithValues: names.map { (SearchDocument.docID(for: PackageKey(scope: "pypi", name: $0)), PackagePopularity(reporters: 3, milliScore: score)) })
    }

    static func names(_ query: String, _ index: InMemorySearchIndex, limit: Int = 10) throws -> [String] {
        try SearchEngine.search(query: query, filters: SearchFilters(limit: limit), index: index).map(\.summary.name)
    }

    static let corpus = [
        document("http-client", "a small http client"),
        document("httpclient", "another http client"),
        document("requests", "Python HTTP for Humans."),
        document("httpx", "The next generation HTTP client."),
        document("redis-client", "a redis client"),
        document("ftp-client", "an ftp client"),
        document("mqtt-client", "mqtt client"),
        document("taskqueue", "queue tasks"),
        document("celery", "Distributed Task Queue."),
        document("pyyaml", "YAML parser and emitter for Python"),
        document("ruamel-yaml", "a YAML library for parsing and dumping"),
        document("asyncpg", "An asyncio PostgreSQL driver"),
        document("psycopg2-binary", "psycopg2 - Python-PostgreSQL Database Adapter"),
        document("arrow", "Better dates & times for Python"),
        document("tenacity", "Retry code until it succeeds"),
        document("retry-lib", "a retry library"),
        document("scikit-learn", "A set of python modules for machine learning"),
        document("scikit-image", "Image processing in Python"),
        document("fastapi", "FastAPI framework, high performance"),
        document("news", "read the news"),
        document("newt", "a new tool"),
    ]

    /// With no popularity the text decides: the name of the joined words first. With it, the
    /// used packages the words describe outrank an unused name that merely spells them.
    @Test func joinedWordsAreBlendedWithPopularity() throws {
        let plain = InMemorySearchIndex(documents: Self.corpus)
        #expect(try Self.names("http client", plain).prefix(2).sorted() == ["http-client", "httpclient"])
        #expect(try SearchEngine.search(query: "http client", index: plain).first?.tier == .joinedWords)
        let used = InMemorySearchIndex(documents: Self.corpus, popularity: Self.used(["requests", "httpx", "celery"], score: 80_000))
        let http = try Self.names("http client", used)
        #expect(http.prefix(2).sorted() == ["httpx", "requests"], "\(http)")
        #expect(http.contains("http-client"))
        #expect(try Self.names("task queue", used).first == "celery")
        // What the user typed as one name stays first, however used the others are.
        #expect(try Self.names("http-client", used).first == "http-client")
        #expect(try Self.names("HTTP_Client", used).first == "http-client")
        #expect(try SearchEngine.search(query: "httpclient", index: used).first?.tier == .exactName)
    }

    /// A used package whose summary lacks the commoner word ("client") is still found, below a
    /// used package holding both; one holding only the commoner word is not a match.
    @Test func usedPackagesMissingAWordAreFound() throws {
        let plain = InMemorySearchIndex(documents: Self.corpus)
        let words = try SearchEngine.search(query: "http client", filters: SearchFilters(limit: 20), index: plain).filter { $0.tier == .token }
        #expect(words.first?.summary.name == "httpx")
        #expect(words.map(\.summary.name).contains("requests"))
        #expect(!words.map(\.summary.name).contains("redis-client"))
        let used = InMemorySearchIndex(documents: Self.corpus, popularity: Self.used(["requests", "httpx"]))
        let ranked = try Self.names("http client", used)
        #expect(ranked.firstIndex(of: "httpx")! < ranked.firstIndex(of: "requests")!)
        #expect(try Self.names("retry library", InMemorySearchIndex(documents: Self.corpus, popularity: Self.used(["tenacity"]))).prefix(2).sorted() == ["retry-lib", "tenacity"])
    }

    /// Word forms and short names: a query word matches its plural and verb forms and a
    /// listed alias, in both directions.
    @Test(arguments: [
        ("yaml parsing", ["pyyaml", "ruamel-yaml"]), ("yaml parser", ["pyyaml", "ruamel-yaml"]),
        ("postgres driver", ["asyncpg"]), ("postgresql adapter", ["psycopg2-binary"]), ("postgres adapter", ["psycopg2-binary"]),
        ("date", ["arrow"]), ("retries", ["retry-lib", "tenacity"]),
    ])
    func wordFormsAndAliasesMatch(query: String, expected: [String]) throws {
        let found = try Self.names(query, InMemorySearchIndex(documents: Self.corpus))
        #expect(Set(found.prefix(expected.count)) == Set(expected), "\(query): \(found)")
    }

    @Test func variantsShareTheStem() {
        #expect(QueryWords.variants(of: "parser").starts(with: ["parser"]))
        #expect(Set(QueryWords.variants(of: "parser")).isSuperset(of: ["parse", "parsers", "parsing", "parsed"]))
        #expect(Set(QueryWords.variants(of: "libraries")).isSuperset(of: ["library", "libraries"]))
        #expect(Set(QueryWords.variants(of: "library")).isSuperset(of: ["libraries"]))
        #expect(QueryWords.variants(of: "postgres").contains("postgresql"))
        #expect(!QueryWords.variants(of: "client").contains("cliente"))
        // Short words, words ending in s that are not plurals, and non-letters stay as they are.
        for word in ["bus", "gas", "api", "news", "redis", "numpy3", "über"] {
            #expect(!QueryWords.variants(of: word).contains { word.hasPrefix($0) && $0 != word }, "\(word)")
        }
        #expect(QueryWords.variants(of: "news").allSatisfy { $0.hasPrefix("news") })
    }

    /// Every inflected form of a generated stem finds the others: the rule is the same for any word.
    @Test func generatedWordFormsFindEachOther() {
        var rng = SeededGenerator(seed: 77)
        let consonants = Array("bcdfghklmnprtvz")
        let vowels = Array("aeo")
        for _ in 0..<300 {
            var stem = ""
            for _ in 0..<Int.random(in: 2...3, using: &rng) {
                stem.append(consonants.randomElement(using: &rng)!)
                stem.append(vowels.randomElement(using: &rng)!)
            }
            stem.append(consonants.randomElement(using: &rng)!)
            // The last vowel is never `e`: a stem ending in `er` or `ed` is itself an inflection.
            stem.removeLast()
            stem.removeLast()
            stem.append(["a", "o"].randomElement(using: &rng)!)
            stem.append(consonants.randomElement(using: &rng)!)
            let forms = [stem, stem + "s", stem + "ing", stem + "er", stem + "ers", stem + "ed"]
            for form in forms {
                let variants = Set(QueryWords.variants(of: form))
                #expect(variants.isSuperset(of: forms), "\(form): \(variants.sorted())")
            }
        }
    }

    /// Names of two generated parts, asked for split, joined, with separators, in another case
    /// and with one typo in one word: the package is found first (no popularity: text alone).
    @Test func generatedTwoPartNamesAreFoundHoweverTyped() throws {
        var rng = SeededGenerator(seed: 4242)
        let syllables = ["ka", "lo", "mi", "ra", "to", "zen", "qua", "bel", "dor", "fi", "nu", "sha", "vex", "io"]
        var documents: [SearchDocument] = []
        var parts: [(String, String)] = []
        var seen = Set<String>()
        while documents.count < 2_000 {
            let first = (0..<3).map { _ in syllables.randomElement(using: &rng)! }.joined()
            let second = (0..<3).map { _ in syllables.randomElement(using: &rng)! }.joined()
            guard seen.insert(first + second).inserted else { continue }
            documents.append(Self.document("\(first)-\(second)", "tool \(first)"))
            parts.append((first, second))
        }
        let index = InMemorySearchIndex(documents: documents)
        var typoFirst = 0
        var spelledFirst = 0
        for (number, (first, second)) in parts.prefix(200).enumerated() {
            let name = "\(first)-\(second)"
            for query in ["\(first) \(second)", "\(first)_\(second)", "\(first.uppercased()) \(second)", "\(first).\(second.uppercased())"] {
                #expect(try Self.names(query, index, limit: 3).first == name, "\(query)")
            }
            // Joined outright it is one typo (a missing `-`) from the name, and maybe from another
            // split of the same letters.
            let joined = try Self.names("\(first)\(second)", index, limit: 3)
            #expect(joined.contains(name))
            if joined.first == name { spelledFirst += 1 }
            let typo = number % 2 == 0 ? "\(OneEdit.apply(to: first, using: &rng)) \(second)" : "\(first) \(OneEdit.apply(to: second, using: &rng))"
            let found = try Self.names(typo, index, limit: 5)
            #expect(found.contains(name), "\(typo) → \(found)")
            if found.first == name { typoFirst += 1 }
        }
        #expect(typoFirst >= 180)
        #expect(spelledFirst >= 196)
    }

    /// Among candidates with the same text, the used one comes first, in every tier.
    @Test func usedPackageWinsAmongEqualText() throws {
        let documents = (0..<20).map { Self.document("yamlkit\($0)", "fast yaml parser") } + [Self.document("yaml-x", "other things")]
        for chosen in [3, 11, 17] {
            let index = InMemorySearchIndex(documents: documents, popularity: Self.used(["yamlkit\(chosen)"], score: 10_000))
            #expect(try Self.names("yaml parser", index).first == "yamlkit\(chosen)")
            #expect(try Self.names("yamlkit", index).first == "yamlkit\(chosen)")
            #expect(try Self.names("yamlkti\(chosen)", index).first == "yamlkit\(chosen)")
            #expect(try Self.names("yaml-x", index).first == "yaml-x")
        }
    }
}
