import AgoraCore
import AgoraMigrations
import AgoraStore
import AgoraTestSupport
import Foundation
import Testing
@testable import AgoraViews

/// A rebuild folds the log in memory and appends each view database in key order; the views it
/// leaves must be byte for byte those that appending the same events in batches leaves.
@Suite struct BulkRebuildTests {
    /// The fast-path corpus (first releases, later versions, contests, yanks, a transfer, a
    /// rotation and releases by the retired key after it) plus peer observations and penalties,
    /// and retrieval summaries from three reporters over three periods, one of them also a
    /// publisher reporting its own package.
    static func corpus(seed: UInt64) throws -> [[Event]] {
        var rng = SeededGenerator(seed: seed &+ 100)
        var feeds = NewPackageFastPathTests.feeds(seed: seed)
        var packages: [String] = []
        for event in feeds.joined() {
            if case .releasePublished(let release)? = try? event.decodedBody() { packages.append("\(release.scope)/\(release.name)") }
        }
        var observer = FeedBuilder(seed: 40)
        for step in 0..<40 {
            let peer: [UInt8] = [UInt8(step % 5), 7]
            if step % 9 == 0 {
                _ = observer.penalise(peer: peer, reason: "bad \(step)")
            } else {
                _ = observer.observe(peer: peer, [.success, .timeout, .digestMismatch].randomElement(using: &rng)!)
            }
        }
        var reporters = (UInt8(41)...43).map { FeedBuilder(seed: $0) }
        reporters[2].publish("own", "counted", "1.0.0", description: "reported by its own publisher")
        packages.append("own/counted")
        for period in UInt64(0)..<3 {
            for index in reporters.indices {
                let counts = (0..<20).map { _ in
                    (packages.randomElement(using: &rng)!, UInt64.random(in: 0...2_000_000, using: &rng))
                }
                _ = reporters[index].append(.retrievalsCounted(try RetrievalsCounted(period: period, counts: counts)))
            }
        }
        feeds.append(observer.events)
        feeds += reporters.map(\.events)
        return feeds
    }

    @Test(arguments: [UInt64(1), 2, 3])
    func rebuildEqualsIncrementalAppend(seed: UInt64) throws {
        var rng = SeededGenerator(seed: seed)
        let events = RegistryViewsTestSupport.interleave(try Self.corpus(seed: seed), using: &rng)
        let directory = try TemporaryDirectory()
        let store = try RegistryViewsTestSupport.openRegistryStore(directory)
        #expect(try RegistryViewsTestSupport.appendInBatches(events, to: store, maxBatch: 64, using: &rng))
        let incremental = try RegistryViewsTestSupport.snapshot(store)
        for name in ["releases", "postings", "scopes", "principals", "scores", "retrievalCounts", "popularity", "rotations"] {
            #expect(incremental[name]?.isEmpty == false, "the corpus leaves \(name) empty")
        }
        // All in memory; half in memory and the rest page by page; one event in memory; and
        // bulk transactions of a few entries each, so the load spans many of them.
        let runs = [(Store.bulkRebuildLimit, Store.bulkTransactionBytes), (events.count / 2, 2_000), (1, 1 << 20), (Store.bulkRebuildLimit, 300)]
        for (bulkLimit, transactionBytes) in runs {
            try store.rebuildViews(pageSize: 97, bulkLimit: bulkLimit, transactionBytes: transactionBytes)
            let rebuilt = try RegistryViewsTestSupport.snapshot(store)
            for (name, bytes) in incremental {
                let same = rebuilt[name] == bytes
                #expect(same, "view \(name) differs (seed \(seed), bulk \(bulkLimit), \(transactionBytes) bytes per transaction)")
            }
            #expect(try store.storedViewVersion() == RegistryViews.version)
        }
        let comparison = try store.verifyViews()
        #expect(comparison.equal, "\(comparison.mismatch?.description ?? "")")
    }

    /// Tables sorted and handed over in key ranges of a few changes each (at 10⁵ events only
    /// postings and the typo keys are cut, in ranges of ~10⁵) leave the same views: each range
    /// nets alone, the ranges follow one another in key order through `MDB_APPEND`, and a
    /// duplicate-sorted key never spans two ranges.
    @Test(arguments: [UInt64(4), 5])
    func rebuildInKeyRangesEqualsIncrementalAppend(seed: UInt64) throws {
        var rng = SeededGenerator(seed: seed)
        let directory = try TemporaryDirectory()
        let incremental = try RegistryViewsTestSupport.incrementalViews(try Self.corpus(seed: seed), in: directory, using: &rng).views
        for partSize in [1, 5, 64] {
            let store = try Store(home: directory.url, migrations: AgoraMigrations.all, views: RegistryViews(sortedPartSize: partSize))
            for transactionBytes in [Store.bulkTransactionBytes, 300] {
                try store.rebuildViews(transactionBytes: transactionBytes)
                let rebuilt = try RegistryViewsTestSupport.snapshot(store)
                for (name, bytes) in incremental {
                    #expect(rebuilt[name] == bytes, "view \(name) differs (seed \(seed), ranges of \(partSize), \(transactionBytes) bytes per transaction)")
                }
            }
        }
    }

    /// A rebuild killed after its bulk part (here: the page-by-page tail fails) leaves the views
    /// marked stale, appends meanwhile leave them alone, and the next open rebuilds them whole.
    @Test func interruptedRebuildIsRedoneAtOpen() throws {
        var rng = SeededGenerator(seed: 9)
        let feeds = try Self.corpus(seed: 4)
        let events = RegistryViewsTestSupport.interleave(feeds, using: &rng)
        let late = events.count * 3 / 4
        let directory = try TemporaryDirectory()
        do {
            let store = try RegistryViewsTestSupport.openRegistryStore(directory)
            #expect(try RegistryViewsTestSupport.appendInBatches(Array(events[..<late]), to: store, maxBatch: 50, using: &rng))
        }
        do {
            let failing = try Store(home: directory.url, migrations: AgoraMigrations.all, views: TailFails())
            #expect(throws: TailFails.Killed.self) { try failing.rebuildViews(bulkLimit: late / 2) }
            #expect(try failing.storedViewVersion() == nil)
            // Another writer appends while the rebuild marker is set: the views are left to the rebuild.
            let outcomes = try failing.append(Array(events[late...]), verification: .chain)
            #expect(outcomes.allSatisfy { if case .appended = $0 { true } else { false } })
            #expect(try failing.storedViewVersion() == nil)
        }
        let reopened = try RegistryViewsTestSupport.openRegistryStore(directory)
        #expect(try reopened.storedViewVersion() == RegistryViews.version)
        let comparison = try reopened.verifyViews()
        #expect(comparison.equal, "\(comparison.mismatch?.description ?? "")")
        #expect(try RegistryViewsTestSupport.snapshot(reopened)["releases"]?.isEmpty == false)
    }

    /// The in-memory part of a rebuild reads at most about `bulkBytes` of stored events (a
    /// peer's events may each be `Event.maxSize`): a budget of the first three events' bytes
    /// folds exactly those in memory (a tail that fails shows what the bulk part held), and a
    /// budget below any event's size still rebuilds the views byte for byte, one event per page.
    @Test func bulkPartIsBoundedInBytes() throws {
        var rng = SeededGenerator(seed: 11)
        let events = RegistryViewsTestSupport.interleave(try Self.corpus(seed: 5), using: &rng)
        let directory = try TemporaryDirectory()
        let smallest = events.map(\.bytes.count).min() ?? 0
        do {
            let store = try RegistryViewsTestSupport.openRegistryStore(directory)
            #expect(try RegistryViewsTestSupport.appendInBatches(events, to: store, maxBatch: 64, using: &rng))
            let incremental = try RegistryViewsTestSupport.snapshot(store)
            try store.rebuildViews(bulkBytes: smallest - 1)
            #expect(try RegistryViewsTestSupport.snapshot(store) == incremental)
            #expect(try store.storedViewVersion() == RegistryViews.version)
        }
        let firstThree = try TemporaryDirectory()
        let expected = try RegistryViewsTestSupport.openRegistryStore(firstThree)
        #expect(try RegistryViewsTestSupport.appendInBatches(Array(events[..<3]), to: expected, maxBatch: 1, using: &rng))
        let failing = try Store(home: directory.url, migrations: AgoraMigrations.all, views: TailFails())
        #expect(throws: TailFails.Killed.self) { try failing.rebuildViews(bulkBytes: events[..<3].reduce(0) { $0 + $1.bytes.count }) }
        #expect(try RegistryViewsTestSupport.snapshot(failing) == RegistryViewsTestSupport.snapshot(expected))
    }

    /// The registry views, except that `apply` fails: a rebuild stops after its bulk part.
    struct TailFails: ViewMaintainer {
        struct Killed: Error {}
        let inner = RegistryViews()
        var viewVersion: UInt32 { inner.viewVersion }
        var databaseSpecs: [DatabaseSpec] { inner.databaseSpecs }

        func apply(_ events: [Event], in txn: WriteTransaction, store: StoreDatabases, views: ViewDatabases) throws {
            throw Killed()
        }

        func bulkFold(_ events: [Event], store: StoreDatabases, views: ViewDatabases) throws -> [SortedEntries]? {
            try inner.bulkFold(events, store: store, views: views)
        }
    }
}
