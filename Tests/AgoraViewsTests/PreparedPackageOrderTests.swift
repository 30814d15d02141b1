import AgoraCore
import AgoraMigrations
import AgoraStore
import AgoraTestSupport
import Testing
@testable import AgoraViews

/// A batch appended with exactly the events it was prepared with takes its packages' order and
/// each event's place among them from the preparation (`PreparedBatch.distinctPackages`): it
/// must leave exactly the views the general fold leaves, with a rotation or a transfer in the
/// batch marking packages outside the prepared ones, and with case spellings of one name (one
/// package) and canonically equivalent non-ASCII names (none: `EquivalentNameTests`) in one batch.
@Suite struct PreparedPackageOrderTests {
    @Test(arguments: [UInt64(1), 2, 3])
    func exactPreparationsGiveTheGeneralFoldsViews(seed: UInt64) throws {
        var rng = SeededGenerator(seed: seed)
        var spellings = FeedBuilder(seed: 40)
        for (step, name) in ["caf\u{E9}", "cafe\u{301}", "Caf\u{C9}", "na\u{EF}ve", "Naive", "nai\u{308}ve", "NAIVE"].enumerated() {
            spellings.publish("s9", name, "1.0.\(step)", description: "\(name) things")
        }
        let events = RegistryViewsTestSupport.interleave(NewPackageFastPathTests.feeds(seed: seed), using: &rng)
        var batches: [[Event]] = []
        var rest = events[...]
        while !rest.isEmpty {
            batches.append(Array(rest.prefix(Int.random(in: 1...80, using: &rng))))
            rest = rest.dropFirst(batches[batches.count - 1].count)
        }
        // In one batch, so the equal keys meet in one preparation.
        batches.append(spellings.events)

        let reference = try TemporaryDirectory()
        let general = try Store(home: reference.url, migrations: AgoraMigrations.all, views: RegistryViews(newPackageFastPath: false))
        for batch in batches { #expect(try general.append(batch, verification: .chain).allSatisfy(PreparedAppendTests.appended)) }

        let directory = try TemporaryDirectory()
        let store = try RegistryViewsTestSupport.openRegistryStore(directory)
        for batch in batches {
            #expect(try store.append(store.prepareAppend(batch), verification: .chain).allSatisfy(PreparedAppendTests.appended))
        }

        let expected = try RegistryViewsTestSupport.snapshot(general)
        #expect(expected["releases"]?.isEmpty == false)
        DeferredViewsTests.expectSame(try RegistryViewsTestSupport.snapshot(store), expected, "seed \(seed)")
    }
}
