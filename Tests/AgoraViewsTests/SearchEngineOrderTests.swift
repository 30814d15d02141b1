import AgoraCore
import Testing
import AgoraStore
import AgoraTestSupport
@testable import AgoraViews

/// The engine orders only as many candidates as a page needs; these check that doing so gives
/// exactly the order a full sort gives, however many items the consumer ends up taking.
@Suite struct SearchEngineOrderTests {
    @Test func partialOrderingMatchesAFullSort() {
        var rng = SeededGenerator(seed: 7)
        let items = (0..<2_000).map { _ in (score: Int.random(in: 0..<50, using: &rng), id: UInt64.random(in: 0..<1_000_000, using: &rng)) }
        let order: ((score: Int, id: UInt64), (score: Int, id: UInt64)) -> Bool = { $0.score != $1.score ? $0.score > $1.score : $0.id < $1.id }
        let sorted = items.sorted(by: order)
        for (wanted, taken) in [(1, 1), (5, 5), (5, 37), (20, 700), (3, 2_000)] {
            var seen: [(score: Int, id: UInt64)] = []
            let stopped = SearchEngine.inOrder(items, wanted: wanted, by: order) { item in
                seen.append(item)
                return seen.count == taken
            }
            #expect(stopped)
            #expect(seen.map(\.id) == sorted.prefix(taken).map(\.id), "wanted \(wanted), taken \(taken)")
        }
        var all = 0
        #expect(!SearchEngine.inOrder(items, wanted: 4, by: order) { _ in all += 1; return false })
        #expect(all == items.count)
        #expect(SearchEngine.smallest(3, of: [5, 1, 4, 1, 2], by: <) == [1, 1, 2])
    }

    @Test func scopeAndNameReadsWhatTheSummaryHolds() throws {
        let summary = SearchSummary(
            package: PackageKey(scope: "acme", name: "zope-interface"), name: "Zope.Interface", version: "7.0",
            description: "interfaces", keywords: ["zope"], authors: ["Z"])
        let read = try summary.encoded().withUnsafeBytes { try SearchSummary.scopeAndName(decoding: $0) }
        #expect(read.scope == "acme")
        #expect(read.name == "Zope.Interface")
        let truncated = Array(summary.encoded().prefix(12))
        #expect(throws: ViewDecodeError.self) { try truncated.withUnsafeBytes { try SearchSummary.scopeAndName(decoding: $0) } }
    }

    @Test func asciiNormalisingMatchesTheTokenizer() {
        for name in ["Django", "zope.interface", "Flask__SQLAlchemy", "-lead", "trail._", "a-b-c", "PyYAML", "x\r\ny"] {
            #expect(SearchEngine.normaliseASCII(name) == Tokenizer.normaliseName(name), "\(name)")
        }
        #expect(SearchEngine.normaliseASCII("Ñame") == nil)
    }

    @Test func asciiDeletionKeysMatchDeletingEachCharacter() {
        for name in ["a", "ab", "aab", "aabbc", "requests", "zope-interface", "mississippi"] {
            var expected = [name]
            let characters = Array(name)
            for index in characters.indices {
                var key = characters
                key.remove(at: index)
                let text = String(key)
                if !text.isEmpty, !expected.contains(text) { expected.append(text) }
            }
            #expect(SearchDeletions.keys(for: name) == expected, "\(name)")
        }
        #expect(SearchDeletions.keys(for: "ñaa") == ["ñaa", "aa", "ña"])
    }
}
