import AgoraCore
import Foundation
import Testing
import AgoraStore
import AgoraTestSupport
@testable import AgoraViews

@Suite struct PopularityViewTests {
    /// Releases and retrieval summaries exercising each counting rule.
    static func feeds() -> [[Event]] {
        var alice = FeedBuilder(seed: 21)
        var bob = FeedBuilder(seed: 22)
        var mirror = FeedBuilder(seed: 23)
        var mirror2 = FeedBuilder(seed: 24)
        alice.publish("acme", "tool", "1.0.0", description: "a hammer")
        bob.publish("bobs", "widget", "1.0.0", description: "widgets")
        // Alice reports her own package loudly: ignored for it, counted for Bob's.
        alice.count(period: 1, ["acme/tool": 900_000, "bobs/widget": 7])
        // Two summaries for one period: the larger count stands, not the sum.
        mirror.count(period: 1, ["acme/tool": 50, "bobs/widget": 5, "ghost/pkg": 3])
        mirror.count(period: 1, ["bobs/widget": 9])
        // One period's count is capped.
        mirror.count(period: 2, ["bobs/widget": 5_000_000])
        mirror2.count(period: 1, ["acme/tool": 1])
        return [alice, bob, mirror, mirror2].map(\.events)
    }

    static func milli(_ totals: [UInt64]) -> UInt32 {
        UInt32((totals.map { log2(1 + Double($0)) }.reduce(0, +) * 1000).rounded())
    }

    @Test func countsFollowTheRulesInAnyOrder() throws {
        let feeds = Self.feeds()
        var reference: [String: [UInt8]]?
        for seed in UInt64(1)...8 {
            var rng = SeededGenerator(seed: seed)
            let directory = try TemporaryDirectory()
            let store = try RegistryViewsTestSupport.openRegistryStore(directory)
            let ordered = RegistryViewsTestSupport.interleave(feeds, using: &rng)
            #expect(try RegistryViewsTestSupport.appendInBatches(ordered, to: store, maxBatch: Int(seed), using: &rng))
            let popularity = try store.withSearchIndex { index in
                try ["acme/tool", "bobs/widget", "ghost/pkg"].map { try index.popularity(of: SearchDocument.docID(for: PackageKey($0)!)) }
            }
            #expect(popularity[0] == PackagePopularity(reporters: 2, milliScore: Self.milli([50, 1])))
            #expect(popularity[1] == PackagePopularity(reporters: 2, milliScore: Self.milli([7, 9 + PackagePopularity.capPerPeriod])))
            #expect(popularity[2] == PackagePopularity(reporters: 1, milliScore: Self.milli([3])))
            // The one-cursor walk answers like single reads, absent documents included.
            let docIDs = (["acme/tool", "bobs/widget", "ghost/pkg", "nobody/none"].map { SearchDocument.docID(for: PackageKey($0)!) } + [0, .max]).sorted()
            let walked = try store.withSearchIndex { index in try index.popularities(of: docIDs) }
            let single = try store.withSearchIndex { index in try docIDs.map { try index.popularity(of: $0) } }
            #expect(walked == single && walked.compactMap { $0 }.count == 3)
            let snapshot = try RegistryViewsTestSupport.snapshot(store)
            if let reference {
                for (name, bytes) in reference { #expect(snapshot[name] == bytes, "view \(name) differs for seed \(seed)") }
            } else {
                reference = snapshot
            }
            #expect(try store.verifyViews().equal)
        }
    }

    /// Among names one typo or a prefix away, the used package wins; an exact name stays first.
    @Test func popularityBreaksTiesBetweenNameMatches() throws {
        var publisher = FeedBuilder(seed: 31)
        for name in ["pillow", "phlow", "pytest", "pytsetlin", "pytset-x", "requests", "reqs"] {
            publisher.publish("pypi", name, "1.0.0", description: "package \(name)")
        }
        var mirrors = (34...36).map { FeedBuilder(seed: UInt8($0)) }
        for index in mirrors.indices {
            mirrors[index].count(period: 1, ["pypi/pillow": 200_000, "pypi/pytest": 300_000, "pypi/requests": 900_000])
        }
        let directory = try TemporaryDirectory()
        let store = try RegistryViewsTestSupport.openRegistryStore(directory)
        _ = try store.append(publisher.events + mirrors.flatMap(\.events), verification: .chain)
        func first(_ query: String, sort: SearchSort = .relevance) throws -> String? {
            try store.search(query: query, filters: SearchFilters(limit: 5, sort: sort)).first?.summary.name
        }
        #expect(try first("pilow") == "pillow")
        #expect(try first("pytset") == "pytest")
        #expect(try first("req") == "requests")
        #expect(try first("reqs") == "reqs", "an exact name stays first")
        #expect(try first("package", sort: .popular) == "requests")
        let unpopular = try store.search(query: "pytset", filters: SearchFilters(limit: 5))
        #expect(unpopular.map(\.summary.name).contains("pytsetlin"))
    }

    /// Summaries decode to what was signed, and every non-canonical spelling is refused.
    @Test func summariesRoundTripAndRejectNonCanonicalBodies() throws {
        var rng = SeededGenerator(seed: 5)
        for _ in 0..<200 {
            let counts = (0..<Int.random(in: 1...40, using: &rng)).map { index in
                (package: "s\(Int.random(in: 0..<5, using: &rng))/p\(index)", count: UInt64.random(in: 1...UInt64.max, using: &rng))
            }
            let summary = try RetrievalsCounted(period: UInt64.random(in: 0...1_000, using: &rng), counts: counts)
            let body = EventBody.retrievalsCounted(summary)
            #expect(try EventBody(kind: EventKind.retrievalsCounted.rawValue, bytes: body.encoded()) == body)
        }
        let good = try RetrievalsCounted(period: 3, counts: [("a/b", 2), ("a/c", 1)])
        func encoded(_ packages: [String], _ counts: [UInt64]) -> [UInt8] {
            var writer = CanonicalWriter()
            writer.varint(1, 3)
            writer.repeated(2, packages)
            var packed: [UInt8] = []
            for count in counts { Varint.encode(count, into: &packed) }
            writer.bytes(3, packed)
            return writer.bytes
        }
        #expect(try EventBody(kind: 7, bytes: encoded(["a/b", "a/c"], [2, 1])) == .retrievalsCounted(good))
        for (packages, counts) in [
            (["a/c", "a/b"], [1, 2]), (["a/b", "a/b"], [1, 2]), (["a/b"], [0]), (["a/b", "a/c"], [1]),
            (["a/b"], [1, 1]), (["A/b"], [1]), (["ab"], [1]), (["a/b/c"], [1]), ([], []),
        ] as [([String], [UInt64])] {
            #expect(throws: EventError.self, "\(packages) \(counts)") { try EventBody(kind: 7, bytes: encoded(packages, counts)) }
        }
        // A full summary of typical names decodes and fits one event.
        let full = try RetrievalsCounted(period: 9, counts: (0..<RetrievalsCounted.maxPackages).map {
            (package: "some-scope/some-package-name-\($0)", count: UInt64.max - UInt64($0))
        })
        let signed = try Event.sign(by: Identity(seed: [UInt8](repeating: 4, count: 32)), seq: 1, prev: nil, timestamp: 1, body: .retrievalsCounted(full))
        #expect(try Event(decoding: signed.bytes).decodedBody() == .retrievalsCounted(full))
        let tooMany = (0...RetrievalsCounted.maxPackages).map { (package: "a/p\($0)", count: UInt64(1)) }
        #expect(throws: CanonicalDecodeError.self) { try RetrievalsCounted(period: 1, counts: tooMany) }
    }
}

extension FeedBuilder {
    @discardableResult
    mutating func count(period: UInt64, _ counts: KeyValuePairs<String, UInt64>) -> Event {
        append(.retrievalsCounted(try! RetrievalsCounted(period: period, counts: counts.map { ($0.key, $0.value) })))
    }
}
