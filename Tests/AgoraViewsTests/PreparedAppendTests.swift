import AgoraCore
import AgoraMigrations
import AgoraStore
import AgoraTestSupport
import Testing
@testable import AgoraViews

/// A batch prepared outside the write transaction (`Store.prepareAppend`) must leave exactly the
/// views the general fold leaves, however stale the preparation: prepared before other batches
/// published the same packages, rotated the author's key or transferred the scope, prepared
/// with events that are not appended, or appended twice.
@Suite struct PreparedAppendTests {
    /// Random batches of the fast-path corpus, each prepared before any of them is appended,
    /// together with the last events of the batch before (duplicates by the time it is
    /// appended, so the views get a subset of what was prepared), then appended twice.
    @Test(arguments: [UInt64(1), 2, 3])
    func stalePreparationsGiveTheGeneralFoldsViews(seed: UInt64) throws {
        var rng = SeededGenerator(seed: seed)
        let events = RegistryViewsTestSupport.interleave(NewPackageFastPathTests.feeds(seed: seed), using: &rng)
        var batches: [[Event]] = []
        var start = 0
        while start < events.count {
            let end = min(events.count, start + Int.random(in: 1...64, using: &rng))
            batches.append(Array(events[start..<end]))
            start = end
        }

        let reference = try TemporaryDirectory()
        let general = try Store(home: reference.url, migrations: AgoraMigrations.all, views: RegistryViews(newPackageFastPath: false))
        for batch in batches { #expect(try general.append(batch, verification: .chain).allSatisfy(Self.appended)) }

        let directory = try TemporaryDirectory()
        let store = try RegistryViewsTestSupport.openRegistryStore(directory)
        let prepared = batches.indices.map { index in
            let earlier = index > 0 ? Array(batches[index - 1].suffix(3)) : []
            return (preparation: store.prepareAppend(earlier + batches[index]), repeated: earlier.count)
        }
        for (preparation, repeated) in prepared {
            let outcomes = try store.append(preparation, verification: .chain)
            #expect(outcomes.prefix(repeated).allSatisfy(Self.duplicate))
            #expect(outcomes.dropFirst(repeated).allSatisfy(Self.appended))
            #expect(try store.append(preparation, verification: .chain).allSatisfy(Self.duplicate))
        }

        let expected = try RegistryViewsTestSupport.snapshot(general)
        let actual = try RegistryViewsTestSupport.snapshot(store)
        #expect(expected["releases"]?.isEmpty == false)
        #expect(expected["postings"]?.isEmpty == false)
        #expect(actual.count == expected.count)
        for (name, bytes) in expected {
            let same = actual[name] == bytes
            #expect(same, "view \(name) differs for seed \(seed)")
        }
        #expect(try store.verifyViews().equal)
    }

    static func appended(_ outcome: AppendOutcome) -> Bool {
        if case .appended = outcome { true } else { false }
    }

    static func duplicate(_ outcome: AppendOutcome) -> Bool {
        if case .duplicate = outcome { true } else { false }
    }
}
