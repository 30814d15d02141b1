import AgoraCore
import Testing
import AgoraStore
import AgoraTestSupport
@testable import AgoraViews

/// The engine ranks only the best candidates of each tier; these check that selecting them
/// gives exactly the prefix a full sort gives.
@Suite struct SearchEngineOrderTests {
    @Test func partialOrderingMatchesAFullSort() {
        var rng = SeededGenerator(seed: 7)
        let items = (0..<2_000).map { _ in (score: Int.random(in: 0..<50, using: &rng), id: UInt64.random(in: 0..<1_000_000, using: &rng)) }
        let order: ((score: Int, id: UInt64), (score: Int, id: UInt64)) -> Bool = { $0.score != $1.score ? $0.score > $1.score : $0.id < $1.id }
        let sorted = items.sorted(by: order)
        for count in [0, 1, 5, 37, 700, 2_000, 3_000] {
            #expect(SearchEngine.smallest(count, of: items, by: order).map(\.id) == sorted.prefix(count).map(\.id), "count \(count)")
        }
        #expect(SearchEngine.smallest(3, of: [5, 1, 4, 1, 2], by: <) == [1, 1, 2])
    }

    /// The counting selection of word matches keeps what a full sort by (words, weight) keeps,
    /// the earliest first among ties at the cut.
    @Test func wordMatchSelectionMatchesAFullSort() {
        var rng = SeededGenerator(seed: 8)
        for queryWords in 1...3 {
            let matches = (0..<3_000).map { position in
                SearchEngine.WordMatch(
                    docID: UInt64(position), words: Int.random(in: 1...queryWords, using: &rng), weight: Int.random(in: 0..<1_500, using: &rng))
            }
            func key(_ match: SearchEngine.WordMatch) -> Int { match.words * 1_024 + min(match.weight, 1_023) }
            let sorted = matches.sorted { key($0) != key($1) ? key($0) > key($1) : $0.docID < $1.docID }
            for count in [1, 10, 512, 2_048, 2_999, 3_000, 4_000] {
                let kept = SearchEngine.bestByText(count, of: matches, queryWords: queryWords)
                #expect(kept.map(\.docID) == sorted.prefix(count).map(\.docID).sorted(), "\(queryWords) words, count \(count)")
            }
        }
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
}
