import AgoraCore
import Foundation
import Testing
import AgoraStore
import AgoraTestSupport
@testable import AgoraViews

/// Real PyPI names and summaries, published as signed release events and searched through the
/// LMDB views: the registry's actual path, when the shared sample is present.
@Suite struct RegistryViewsPyPITests {
    /// Debug builds sign, append and fold about 20k releases in well under a minute; set
    /// AGORA_PYPI_BULK=100000 (e.g. with `-c release`) to load the whole sample.
    static let bulkCount = ProcessInfo.processInfo.environment["AGORA_PYPI_BULK"].flatMap(Int.init) ?? 20_000
    static let batchSize = 5_000

    @Test(.enabled(if: SearchPyPIQualityTests.dataPresent, "needs ../shared/data/pypi-100k.tsv"))
    func bulkLoadedPyPISearchesWell() throws {
        let all = try PyPIMetadata.load(from: SearchPyPIQualityTests.dataFile)
        // The ranked packages first, so the quality sample exists whatever the subset size.
        let records = Array(all.sorted { ($0.downloadRank ?? .max, $0.name) < ($1.downloadRank ?? .max, $1.name) }.prefix(Self.bulkCount))
        let clock = ContinuousClock()

        let signStart = clock.now
        var feeds = (1...5).map { FeedBuilder(seed: UInt8(40 + $0)) }
        for (index, record) in records.enumerated() {
            let version = record.version.isEmpty ? "0" : record.version
            let manifest = Manifest(scope: PyPIMetadata.scope, name: record.name, version: version, description: record.summary)
            feeds[index % feeds.count].append(.releasePublished(ReleasePublished(
                scope: PyPIMetadata.scope, name: record.name, version: version, manifest: manifest.canonicalJSON(),
                archiveDigest: EventID(hashing: Array(record.name.utf8)).bytes, archiveSize: 1)))
        }
        let signing = clock.now - signStart

        let directory = try TemporaryDirectory()
        let store = try RegistryViewsTestSupport.openRegistryStore(directory)
        var rng = SeededGenerator(seed: 100)
        let events = RegistryViewsTestSupport.interleave(feeds.map(\.events), using: &rng)
        let loadStart = clock.now
        for start in stride(from: 0, to: events.count, by: Self.batchSize) {
            let outcomes = try store.append(Array(events[start..<min(events.count, start + Self.batchSize)]), verification: .chain)
            #expect(outcomes.allSatisfy { if case .appended = $0 { true } else { false } })
        }
        let loading = clock.now - loadStart
        print("pypi bulk: \(records.count) releases; signing \(signing), append with views \(loading) (\(Self.batchSize) per transaction)")
        #expect(try store.read { try $0.count(RegistryDatabases(store).docs) } == records.count)

        let ranked = records.filter { $0.downloadRank != nil }
        let sample = (0..<500).map { _ in ranked.randomElement(using: &rng)! }
        var exactFirst = 0
        var exactTimes: [Duration] = []
        try store.withSearchIndex { index in
            for record in sample {
                let start = clock.now
                let hits = try SearchEngine.search(query: record.name, filters: SearchFilters(limit: 5), index: index)
                exactTimes.append(clock.now - start)
                if hits.first?.summary.package.name == record.name { exactFirst += 1 }
            }
        }
        #expect(exactFirst == sample.count)

        var typoFirst = 0
        for record in sample {
            let typo = OneEdit.apply(to: record.name, using: &rng)
            if try store.search(query: typo, filters: SearchFilters(limit: 5)).first?.summary.package.name == record.name { typoFirst += 1 }
        }
        let fraction = Double(typoFirst) / Double(sample.count)
        exactTimes.sort()
        print("pypi lmdb: exact first \(exactFirst)/\(sample.count), one-typo first \(typoFirst)/\(sample.count) = \(fraction), exact p99 \(exactTimes[exactTimes.count * 99 / 100])")
        #expect(fraction >= 0.85)
    }
}
