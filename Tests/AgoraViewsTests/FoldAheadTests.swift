import AgoraCore
import AgoraMigrations
import AgoraStore
import AgoraTestSupport
import Foundation
import Synchronization
import Testing
@testable import AgoraViews

/// Fold runs prepared ahead (`Store.foldPendingViews` reads and prepares the next run on another
/// thread while the current one's transaction runs) and the run size a store learns from runs
/// too large for one transaction: the views end exactly as sequential folds and immediate
/// appends leave them.
@Suite struct FoldAheadTests {
    /// What a maintainer was asked to do: each `prepare` (its size, and whether on the thread
    /// that called `foldPendingViews`), each `apply` (its size, prepared or not), each overflow.
    final class Calls: Sendable {
        struct Prepare: Equatable {
            let count: Int
            let onCaller: Bool
        }

        private let caller = pthread_self()
        private let state = Mutex<(prepares: [Prepare], applies: [(count: Int, prepared: Bool)], overflows: Int)>(([], [], 0))

        func prepared(_ count: Int) {
            let onCaller = pthread_equal(caller, pthread_self()) != 0
            state.withLock { $0.prepares.append(Prepare(count: count, onCaller: onCaller)) }
        }

        func applied(_ count: Int, prepared: Bool) {
            state.withLock { $0.applies.append((count, prepared)) }
        }

        func overflowed() {
            state.withLock { $0.overflows += 1 }
        }

        var prepares: [Prepare] { state.withLock { $0.prepares } }
        var applies: [(count: Int, prepared: Bool)] { state.withLock { $0.applies } }
        var overflows: Int { state.withLock { $0.overflows } }
    }

    /// `inner`, with its calls recorded in `calls`.
    struct Recorded<Inner: ViewMaintainer>: ViewMaintainer {
        let inner: Inner
        let calls: Calls
        var viewVersion: UInt32 { inner.viewVersion }
        var databaseSpecs: [DatabaseSpec] { inner.databaseSpecs }

        func apply(_ events: [Event], in txn: WriteTransaction, store: StoreDatabases, views: ViewDatabases) throws {
            try apply(events, prepared: nil, in: txn, store: store, views: views)
        }

        func prepare(_ events: [Event], store: StoreDatabases, views: ViewDatabases) -> (any Sendable)? {
            calls.prepared(events.count)
            return inner.prepare(events, store: store, views: views)
        }

        func apply(_ events: [Event], prepared: (any Sendable)?, in txn: WriteTransaction, store: StoreDatabases, views: ViewDatabases) throws {
            calls.applied(events.count, prepared: prepared != nil)
            do {
                try inner.apply(events, prepared: prepared, in: txn, store: store, views: views)
            } catch StoreError.lmdb(let error) where error.isTransactionFull {
                calls.overflowed()
                throw StoreError.lmdb(error)
            }
        }

        func bulkFold(_ events: [Event], store: StoreDatabases, views: ViewDatabases) throws -> [SortedEntries]? {
            try inner.bulkFold(events, store: store, views: views)
        }
    }

    /// A store in `directory` holding `events`, all appended with the views deferred.
    static func deferredStore(_ events: [Event], in directory: TemporaryDirectory) throws {
        let store = try RegistryViewsTestSupport.openRegistryStore(directory)
        #expect(DeferredViewsTests.appendedAll(try store.append(events, verification: .chain, views: .deferred)))
    }

    /// A catch-up of many runs: every run after the first was prepared ahead, off the calling
    /// thread, once (no run prepared twice, none applied unprepared), and the views are those of
    /// immediate appends.
    @Test(arguments: [UInt64(21), 22])
    func runsPreparedAheadFoldAsSequentialRuns(seed: UInt64) throws {
        let (events, expected) = try DeferredViewsTests.corpus(seed: seed)
        let directory = try TemporaryDirectory()
        try Self.deferredStore(events, in: directory)
        let calls = Calls()
        let store = try Store(home: directory.url, migrations: AgoraMigrations.all, views: Recorded(inner: RegistryViews(), calls: calls))
        let run = max(1, events.count / 9)
        var pending = UInt64(events.count)
        var runs = 0
        while pending > 0 {
            let left = try store.foldPendingViews(maxEvents: run)
            #expect(left == pending - min(pending, UInt64(run)))
            pending = left
            runs += 1
        }
        #expect(runs >= 9)
        let prepares = calls.prepares
        #expect(prepares.count == runs, "each run prepared once")
        #expect(prepares.first?.onCaller == true)
        #expect(prepares.dropFirst().allSatisfy { !$0.onCaller }, "runs after the first prepared ahead")
        #expect(calls.applies.map(\.count) == prepares.map(\.count))
        #expect(calls.applies.allSatisfy { $0.prepared })
        #expect(try store.verifyViews().equal)
        DeferredViewsTests.expectSame(try RegistryViewsTestSupport.snapshot(store), expected, "runs prepared ahead, seed \(seed)")
    }

    /// A run prepared ahead that reached the log's end is not used once the log has grown (a
    /// fresh read would give a longer run), nor one for another run size: each fold still folds
    /// exactly the run asked for.
    @Test func staleRunPreparedAheadIsNotUsed() throws {
        let (events, expected) = try DeferredViewsTests.corpus(seed: 23)
        #expect(events.count >= 60)
        let directory = try TemporaryDirectory()
        try Self.deferredStore(Array(events[..<15]), in: directory)
        let calls = Calls()
        let store = try Store(home: directory.url, migrations: AgoraMigrations.all, views: Recorded(inner: RegistryViews(), calls: calls))
        // 15 pending: this run folds 10 and prepares the 5 after it ahead, up to the log's end.
        #expect(try store.foldPendingViews(maxEvents: 10) == 5)
        #expect(DeferredViewsTests.appendedAll(try store.append(Array(events[15..<40]), verification: .chain, views: .deferred)))
        #expect(try store.foldPendingViews(maxEvents: 10) == 20, "a full run of 10, not the 5 prepared before the appends")
        // Prepared ahead for runs of 10; a run of 7 reads its own.
        #expect(try store.foldPendingViews(maxEvents: 7) == 13)
        #expect(calls.applies.map(\.count) == [10, 10, 7])
        #expect(DeferredViewsTests.appendedAll(try store.append(Array(events[40...]), verification: .chain, views: .deferred)))
        while try store.foldPendingViews(maxEvents: 11) > 0 {}
        #expect(try store.verifyViews().equal)
        DeferredViewsTests.expectSame(try RegistryViewsTestSupport.snapshot(store), expected, "stale runs prepared ahead")
    }

    /// Once a run did not fit one transaction, the store folds at most the half that fits:
    /// later runs of the same size do not overflow again (each overflowing run throws away all
    /// its work), and the views end as immediate appends leave them.
    @Test func storeRemembersTheRunSizeThatFits() throws {
        let (events, expected) = try DeferredViewsTests.corpus(seed: 24)
        let directory = try TemporaryDirectory()
        try Self.deferredStore(events, in: directory)
        let fits = max(1, events.count / 10)
        let calls = Calls()
        do {
            let store = try Store(
                home: directory.url, migrations: AgoraMigrations.all,
                views: Recorded(inner: DeferredViewsTests.RunsOverflow(fits: fits), calls: calls))
            var runs = 0
            while try store.foldPendingViews(maxEvents: 4 * fits) > 0 { runs += 1 }
            #expect(runs >= 8)
            #expect(calls.overflows == 2, "runs of \(4 * fits) and \(2 * fits) overflow once, then runs of \(fits) fit")
            #expect(calls.applies.dropFirst(2).allSatisfy { $0.count <= fits })
            #expect(try store.viewProgress().lag == 0)
        }
        let store = try RegistryViewsTestSupport.openRegistryStore(directory)
        #expect(try store.verifyViews().equal)
        DeferredViewsTests.expectSame(try RegistryViewsTestSupport.snapshot(store), expected, "runs of the size that fits")
    }
}
