import AgoraCore
import AgoraMigrations
import AgoraStore
import AgoraTestSupport
import Foundation
import Testing
@testable import AgoraViews

/// Views folded behind the log (`ViewFolding.deferred`, `Store.foldPendingViews`): whatever the
/// mix of deferred appends, immediate appends and folds of any size, the views are always the
/// fold of the log up to their position, and once caught up byte for byte what appending
/// everything immediately leaves.
@Suite struct DeferredViewsTests {
    /// The rebuild tests' corpus (first releases, later versions, contests, yanks, a transfer,
    /// a rotation and the retired key's later releases, peer observations, retrieval
    /// summaries), interleaved by `seed`, and the views immediate appends of it leave.
    static func corpus(seed: UInt64) throws -> (events: [Event], expected: [String: [UInt8]]) {
        var rng = SeededGenerator(seed: seed)
        let events = RegistryViewsTestSupport.interleave(try BulkRebuildTests.corpus(seed: seed), using: &rng)
        let directory = try TemporaryDirectory()
        let reference = try RegistryViewsTestSupport.openRegistryStore(directory)
        #expect(try RegistryViewsTestSupport.appendInBatches(events, to: reference, maxBatch: 64, using: &rng))
        return (events, try RegistryViewsTestSupport.snapshot(reference))
    }

    static func expectSame(_ actual: [String: [UInt8]], _ expected: [String: [UInt8]], _ context: String) {
        #expect(actual.count == expected.count)
        for (name, bytes) in expected {
            let same = actual[name] == bytes
            #expect(same, "view \(name) differs (\(context))")
        }
    }

    static func appendedAll(_ outcomes: [AppendOutcome]) -> Bool {
        outcomes.allSatisfy { if case .appended = $0 { true } else { false } }
    }

    /// Random batches, each deferred (mostly) or immediate, with folds of random sizes at random
    /// points. A model of the lag predicts the store's after every step; at a few random points
    /// the lagging views are audited against the log up to their position.
    @Test(arguments: [UInt64(1), 2, 3, 4])
    func randomFoldsLeaveTheImmediateViews(seed: UInt64) throws {
        let (events, expected) = try Self.corpus(seed: seed)
        var rng = SeededGenerator(seed: seed &+ 50)
        let directory = try TemporaryDirectory()
        let store = try RegistryViewsTestSupport.openRegistryStore(directory)
        var lag: UInt64 = 0
        var start = 0
        var audits = 0
        var sawLag = false
        while start < events.count {
            let end = min(events.count, start + Int.random(in: 1...40, using: &rng))
            let folding: ViewFolding = Int.random(in: 0..<5, using: &rng) == 0 ? .immediate : .deferred
            #expect(Self.appendedAll(try store.append(Array(events[start..<end]), verification: .chain, views: folding)))
            lag = folding == .immediate ? 0 : lag + UInt64(end - start)
            start = end
            if Bool.random(using: &rng) {
                let run = Int.random(in: 1...120, using: &rng)
                let left = try store.foldPendingViews(maxEvents: run)
                lag -= min(lag, UInt64(run))
                #expect(left == lag)
            }
            let progress = try store.viewProgress()
            #expect(progress.logEnd == UInt64(start))
            #expect(progress.folded <= progress.logEnd)
            #expect(progress.lag == lag && !progress.rebuilding)
            #expect(try store.pendingViewEvents() == lag)
            sawLag = sawLag || lag > 0
            if lag > 0, audits < 3, Int.random(in: 0..<12, using: &rng) == 0 {
                audits += 1
                let comparison = try store.verifyViews()
                #expect(comparison.equal, "\(comparison.mismatch?.description ?? "")")
                #expect(comparison.events == Int(progress.folded))
            }
        }
        #expect(sawLag)
        while try store.foldPendingViews(maxEvents: Int.random(in: 1...200, using: &rng)) > 0 {}
        #expect(try store.viewProgress().lag == 0)
        Self.expectSame(try RegistryViewsTestSupport.snapshot(store), expected, "seed \(seed)")
        let comparison = try store.verifyViews()
        #expect(comparison.equal && comparison.events == events.count, "\(comparison.mismatch?.description ?? "")")
    }

    /// An immediate append on lagging views folds the lag first, in its own commit: a signed
    /// local append, a plain one, and a batch of duplicates (nothing new) each leave the views
    /// current.
    @Test func immediateAppendsFoldTheLag() throws {
        let (events, expected) = try Self.corpus(seed: 5)
        let directory = try TemporaryDirectory()
        let store = try RegistryViewsTestSupport.openRegistryStore(directory)
        let half = events.count / 2
        #expect(Self.appendedAll(try store.append(Array(events[..<half]), verification: .chain, views: .deferred)))
        #expect(try store.viewProgress().lag == UInt64(half))
        #expect(try RegistryViewsTestSupport.snapshot(store)["releases"]?.isEmpty == true, "nothing folded yet")
        // Duplicates only: nothing appended, the lag still folded.
        let repeated = try store.append(Array(events[..<3]), verification: .chain)
        #expect(repeated.allSatisfy { if case .duplicate = $0 { true } else { false } })
        #expect(try store.viewProgress().lag == 0)
        #expect(Self.appendedAll(try store.append(Array(events[half...]), verification: .chain, views: .deferred)))
        #expect(try store.viewProgress().lag == UInt64(events.count - half))
        #expect(try store.append([], verification: .chain).isEmpty)
        #expect(try store.viewProgress().lag == 0)
        Self.expectSame(try RegistryViewsTestSupport.snapshot(store), expected, "after immediate appends")

        // A signed local append (`agora publish`, reputation events) on lagging views.
        var builder = FeedBuilder(seed: 77)
        let more = builder.publish("late", "package", "1.0.0", description: "after the lag")
        #expect(Self.appendedAll(try store.append([more], verification: .chain, views: .deferred)))
        let identity = Identity.generate()
        try store.appendSigned([try more.decodedBody()], by: identity, timestamp: 1)
        #expect(try store.viewProgress().lag == 0)
        #expect(try store.verifyViews().equal)
    }

    /// A store closed (or killed) with its views behind the log opens as it was: no rebuild,
    /// the views as of their position, the lag still reported; the next fold continues.
    @Test func reopenedLaggingStoreKeepsItsPosition() throws {
        let (events, expected) = try Self.corpus(seed: 6)
        let directory = try TemporaryDirectory()
        let before: [String: [UInt8]]
        let third = events.count / 3
        do {
            let store = try RegistryViewsTestSupport.openRegistryStore(directory)
            #expect(Self.appendedAll(try store.append(Array(events[..<third]), verification: .chain)))
            #expect(Self.appendedAll(try store.append(Array(events[third...]), verification: .chain, views: .deferred)))
            try store.foldPendingViews(maxEvents: 10)
            before = try RegistryViewsTestSupport.snapshot(store)
        }
        let reopened = try RegistryViewsTestSupport.openRegistryStore(directory)
        #expect(try reopened.storedViewVersion() == RegistryViews.version)
        let progress = try reopened.viewProgress()
        #expect(progress.folded == UInt64(third + 10) && progress.lag == UInt64(events.count - third - 10))
        Self.expectSame(try RegistryViewsTestSupport.snapshot(reopened), before, "reopened")
        #expect(try reopened.verifyViews().equal)
        #expect(try reopened.foldPendingViews() == 0)
        Self.expectSame(try RegistryViewsTestSupport.snapshot(reopened), expected, "folded after reopening")
    }

    /// A fold run reads at most `maxBytes` of stored events past its first (a peer's events may
    /// each be `Event.maxSize`): with a budget below any event's size every run folds exactly
    /// one event, and the views still end as immediate appends leave them.
    @Test func foldRunsAreBoundedInBytes() throws {
        let (events, expected) = try Self.corpus(seed: 9)
        let directory = try TemporaryDirectory()
        let store = try RegistryViewsTestSupport.openRegistryStore(directory)
        #expect(Self.appendedAll(try store.append(events, verification: .chain, views: .deferred)))
        let smallest = events.map(\.bytes.count).min() ?? 0
        var pending = UInt64(events.count)
        while pending > 0 {
            let left = try store.foldPendingViews(maxEvents: 1_000, maxBytes: smallest - 1)
            #expect(left == pending - 1)
            pending = left
        }
        #expect(try store.verifyViews().equal)
        Self.expectSame(try RegistryViewsTestSupport.snapshot(store), expected, "folded one event per run")
    }

    /// The registry views, except that a transaction given more than `fits` events fails as
    /// LMDB fails one that dirties too many pages (a large store's runs).
    struct RunsOverflow: RegistryViewsWrapper {
        let fits: Int
        let inner = RegistryViews()

        func apply(_ events: [Event], prepared: (any Sendable)?, in txn: WriteTransaction, store: StoreDatabases, views: ViewDatabases) throws {
            try inner.apply(events, prepared: prepared, in: txn, store: store, views: views)
            if events.count > fits { throw StoreError.lmdb(LMDBError(code: -30788, operation: "put")) }
        }
    }

    /// A run too large for one LMDB transaction is folded in halves until it fits: the views
    /// end as immediate appends leave them, where the full run would fail on every try.
    @Test func runTooLargeForATransactionIsFoldedInHalves() throws {
        let (events, expected) = try Self.corpus(seed: 11)
        let directory = try TemporaryDirectory()
        do {
            let store = try RegistryViewsTestSupport.openRegistryStore(directory)
            #expect(Self.appendedAll(try store.append(events, verification: .chain, views: .deferred)))
        }
        let fits = max(1, events.count / 5)
        do {
            let store = try Store(home: directory.url, migrations: AgoraMigrations.all, views: RunsOverflow(fits: fits))
            var runs = 1
            while try store.foldPendingViews(maxEvents: events.count) > 0 { runs += 1 }
            #expect(runs >= 5, "at most \(fits) events fit one transaction, \(events.count) were pending")
            #expect(try store.viewProgress().lag == 0)
        }
        // Verified by the registry views themselves: verifying replays the log in one transaction.
        let store = try RegistryViewsTestSupport.openRegistryStore(directory)
        #expect(try store.verifyViews().equal)
        Self.expectSame(try RegistryViewsTestSupport.snapshot(store), expected, "folded in halves")
    }

    /// A run of one event that does not fit fails with LMDB's error (once, not in a loop) and
    /// leaves the views where they were.
    @Test func oneEventThatDoesNotFitFails() throws {
        let (events, _) = try Self.corpus(seed: 12)
        let directory = try TemporaryDirectory()
        do {
            let store = try RegistryViewsTestSupport.openRegistryStore(directory)
            #expect(Self.appendedAll(try store.append(Array(events[..<8]), verification: .chain, views: .deferred)))
        }
        let store = try Store(home: directory.url, migrations: AgoraMigrations.all, views: RunsOverflow(fits: 0))
        #expect(throws: StoreError.lmdb(LMDBError(code: -30788, operation: "put"))) { try store.foldPendingViews() }
        #expect(try store.viewProgress().lag == 8)
    }

    /// A fold that fails inside its transaction (as a kill would end it) leaves the views and
    /// their position as they were; the next fold, by a working maintainer, completes them.
    @Test func failedFoldChangesNothing() throws {
        let (events, expected) = try Self.corpus(seed: 7)
        let directory = try TemporaryDirectory()
        do {
            let store = try RegistryViewsTestSupport.openRegistryStore(directory)
            #expect(Self.appendedAll(try store.append(Array(events[..<20]), verification: .chain)))
            #expect(Self.appendedAll(try store.append(Array(events[20...]), verification: .chain, views: .deferred)))
        }
        let before: [String: [UInt8]]
        do {
            let failing = try Store(home: directory.url, migrations: AgoraMigrations.all, views: BulkRebuildTests.TailFails())
            before = try RegistryViewsTestSupport.snapshot(failing)
            #expect(throws: BulkRebuildTests.TailFails.Killed.self) { try failing.foldPendingViews(maxEvents: 50) }
            #expect(throws: BulkRebuildTests.TailFails.Killed.self) { try failing.append([], verification: .chain) }
            #expect(try failing.viewProgress().folded == 20)
            Self.expectSame(try RegistryViewsTestSupport.snapshot(failing), before, "after failed folds")
        }
        let store = try RegistryViewsTestSupport.openRegistryStore(directory)
        #expect(try store.viewProgress().lag == UInt64(events.count - 20))
        #expect(try store.foldPendingViews() == 0)
        Self.expectSame(try RegistryViewsTestSupport.snapshot(store), expected, "folded after the failures")
    }

    /// A rebuild owns the views' position: it folds the whole log, deferred or not, and leaves
    /// nothing pending; appends deferred while a rebuild is under way record no position.
    @Test func rebuildTakesOverTheLag() throws {
        let (events, expected) = try Self.corpus(seed: 8)
        let directory = try TemporaryDirectory()
        let half = events.count / 2
        do {
            let store = try RegistryViewsTestSupport.openRegistryStore(directory)
            #expect(Self.appendedAll(try store.append(Array(events[..<half]), verification: .chain, views: .deferred)))
            try store.rebuildViews(pageSize: 13, bulkLimit: half / 2)
            let progress = try store.viewProgress()
            #expect(progress.folded == UInt64(half) && progress.lag == 0 && !progress.rebuilding)
            #expect(try store.foldPendingViews() == 0)
        }
        do {
            // Killed after its bulk part: the marker stays, so deferred appends leave the views alone.
            let failing = try Store(home: directory.url, migrations: AgoraMigrations.all, views: BulkRebuildTests.TailFails())
            #expect(throws: BulkRebuildTests.TailFails.Killed.self) { try failing.rebuildViews(bulkLimit: 5) }
            #expect(Self.appendedAll(try failing.append(Array(events[half...]), verification: .chain, views: .deferred)))
            #expect(try failing.viewProgress().rebuilding)
            #expect(try failing.pendingViewEvents() == 0)
            #expect(try failing.foldPendingViews() == 0)
        }
        let reopened = try RegistryViewsTestSupport.openRegistryStore(directory)
        let progress = try reopened.viewProgress()
        #expect(progress.folded == UInt64(events.count) && progress.lag == 0 && !progress.rebuilding)
        Self.expectSame(try RegistryViewsTestSupport.snapshot(reopened), expected, "rebuilt")
    }
}
