import AgoraCore
import AgoraMigrations
import AgoraStore
import AgoraTestSupport
import Foundation
import Synchronization
import Testing
@testable import AgoraViews

/// A first catch-up into views that hold nothing yet is folded in bulk, as a rebuild folds
/// (`Store.foldPendingViews(bulkAtLeast:)`): the views end byte for byte as immediate appends
/// leave them, whatever is appended while it runs, and a failed or overtaken catch-up loses
/// nothing.
@Suite struct BulkCatchUpTests {
    /// `RegistryViews`, counting bulk folds; `during` runs inside each (on the fold's thread,
    /// while the catch-up owns the views), and a set `failure` is thrown there.
    struct Watched: RegistryViewsWrapper {
        struct Failed: Error {}

        final class Hooks: Sendable {
            private let state = Mutex<(bulkFolds: Int, parts: Int, fail: Bool, during: (@Sendable () throws -> Void)?)>((0, 0, false, nil))
            var bulkFolds: Int { state.withLock { $0.bulkFolds } }
            /// Events of the parts made as batches were appended (`AppendedParts`).
            var parts: Int { state.withLock { $0.parts } }
            fileprivate func made(_ events: Int) { state.withLock { $0.parts += events } }
            func fail(_ fail: Bool) { state.withLock { $0.fail = fail } }
            func during(_ body: (@Sendable () throws -> Void)?) { state.withLock { $0.during = body } }
            fileprivate func enter() throws {
                let (fail, during) = state.withLock { state in
                    state.bulkFolds += 1
                    defer { state.during = nil }
                    return (state.fail, state.during)
                }
                try during?()
                if fail { throw Failed() }
            }
        }

        let inner = RegistryViews()
        let hooks = Hooks()

        func apply(_ events: [Event], prepared: (any Sendable)?, in txn: WriteTransaction, store: StoreDatabases, views: ViewDatabases) throws {
            try inner.apply(events, prepared: prepared, in: txn, store: store, views: views)
        }

        func preparePart(_ events: [Event], store: StoreDatabases, views: ViewDatabases) -> (any Sendable)? {
            hooks.made(events.count)
            return inner.preparePart(events, store: store, views: views)
        }

        func bulkFold(_ events: [Event], store: StoreDatabases, views: ViewDatabases) throws -> [SortedEntries]? {
            try hooks.enter()
            return try inner.bulkFold(events, store: store, views: views)
        }
    }

    struct Progress: Equatable {
        let folded: UInt64, logEnd: UInt64, rebuilding: Bool
    }

    static func progress(_ store: Store) throws -> Progress {
        let progress = try store.viewProgress()
        return Progress(folded: progress.folded, logEnd: progress.logEnd, rebuilding: progress.rebuilding)
    }

    /// The corpus of `seed` appended deferred into a new store of `Watched` views, none folded.
    static func backlog(seed: UInt64) throws -> (
        events: [Event], expected: [String: [UInt8]], directory: TemporaryDirectory, views: Watched, store: Store
    ) {
        let (events, expected) = try DeferredViewsTests.corpus(seed: seed)
        let directory = try TemporaryDirectory()
        let views = Watched()
        let store = try Store(home: directory.url, migrations: AgoraMigrations.all, views: views)
        try appendDeferred(events[...], to: store)
        return (events, expected, directory, views, store)
    }

    static func appendDeferred(_ events: ArraySlice<Event>, to store: Store) throws {
        for start in stride(from: events.startIndex, to: events.endIndex, by: 50) {
            let batch = Array(events[start..<min(events.endIndex, start + 50)])
            #expect(DeferredViewsTests.appendedAll(try store.append(batch, verification: .chain, views: .deferred)))
        }
    }

    /// The whole backlog in one call, through the bulk fold; below the threshold, or once the
    /// views hold something, runs are folded as before. No part is prepared for batches
    /// appended while the views hold nothing (the bulk fold would not use it), as before
    /// once they hold something.
    @Test(arguments: [UInt64(1), 2])
    func firstCatchUpIsOneBulkFold(seed: UInt64) throws {
        let (events, expected) = try DeferredViewsTests.corpus(seed: seed)
        let directory = try TemporaryDirectory()
        let views = Watched()
        let store = try Store(home: directory.url, migrations: AgoraMigrations.all, views: views)
        let half = events.count / 2
        try Self.appendDeferred(events[..<half], to: store)
        #expect(try store.foldPendingViews(maxEvents: 10, bulkAtLeast: half + 1) == UInt64(half - 10))
        #expect(views.hooks.bulkFolds == 0, "a lag below the threshold is folded in runs")
        #expect(views.hooks.parts == 0)
        try store.rebuildViews()
        let rebuilt = views.hooks.bulkFolds
        try Self.appendDeferred(events[half...], to: store)
        #expect(try store.foldPendingViews(maxEvents: 10, bulkAtLeast: 1) == UInt64(events.count - half - 10))
        #expect(views.hooks.bulkFolds == rebuilt, "views that hold events are folded in runs")
        while try store.foldPendingViews(bulkAtLeast: 1) > 0 {}
        #expect(views.hooks.parts > 0, "folds wait for the parts being made")
        DeferredViewsTests.expectSame(try RegistryViewsTestSupport.snapshot(store), expected, "runs")

        let fresh = try TemporaryDirectory()
        let catchingUp = try Store(home: fresh.url, migrations: AgoraMigrations.all, views: views)
        let before = (bulkFolds: views.hooks.bulkFolds, parts: views.hooks.parts)
        try Self.appendDeferred(events[...], to: catchingUp)
        #expect(views.hooks.parts == before.parts)
        #expect(try Self.progress(catchingUp) == Progress(folded: 0, logEnd: UInt64(events.count), rebuilding: false))
        #expect(try catchingUp.foldPendingViews(maxEvents: 10, bulkAtLeast: events.count) == 0)
        #expect(views.hooks.bulkFolds == before.bulkFolds + 1)
        #expect(try Self.progress(catchingUp) == Progress(folded: UInt64(events.count), logEnd: UInt64(events.count), rebuilding: false))
        #expect(try catchingUp.storedViewVersion() == views.viewVersion)
        DeferredViewsTests.expectSame(try RegistryViewsTestSupport.snapshot(catchingUp), expected, "bulk, seed \(seed)")
        #expect(try catchingUp.verifyViews().equal)
    }

    /// Events appended while the catch-up folds (immediately, or deferred) reach the log but
    /// not the views, which the catch-up owns; they are pending after it, and the next runs fold them.
    @Test func appendsDuringTheCatchUpArePendingAfterIt() throws {
        let (events, expected) = try DeferredViewsTests.corpus(seed: 3)
        let directory = try TemporaryDirectory()
        let views = Watched()
        let store = try Store(home: directory.url, migrations: AgoraMigrations.all, views: views)
        let split = events.count - 30
        try Self.appendDeferred(events[..<split], to: store)
        let late = Array(events[split...])
        let appendedDuring = Mutex<[Bool]>([])
        views.hooks.during { [store] in
            let immediate = try store.append(Array(late[..<10]), verification: .chain, views: .immediate)
            let deferred = try store.append(Array(late[10...]), verification: .chain, views: .deferred)
            appendedDuring.withLock { $0 = [DeferredViewsTests.appendedAll(immediate), DeferredViewsTests.appendedAll(deferred)] }
        }
        #expect(try store.foldPendingViews(bulkAtLeast: 1) == 30)
        #expect(appendedDuring.withLock { $0 } == [true, true])
        #expect(try Self.progress(store) == Progress(folded: UInt64(split), logEnd: UInt64(events.count), rebuilding: false))
        let comparison = try store.verifyViews()
        #expect(comparison.equal && comparison.events == split, "\(comparison.mismatch?.description ?? "")")
        #expect(try store.foldPendingViews(bulkAtLeast: 1) == 0)
        DeferredViewsTests.expectSame(try RegistryViewsTestSupport.snapshot(store), expected, "appended during the catch-up")
    }

    /// A catch-up that fails (here its fold throws; a full disk fails its appends) leaves the
    /// views as they were, empty at position 0 and current in version, so the next fold starts
    /// again; none of the log is lost.
    @Test func failedCatchUpLeavesTheViewsAsTheyWere() throws {
        let (events, expected, _, views, store) = try Self.backlog(seed: 4)
        views.hooks.fail(true)
        #expect(throws: Watched.Failed.self) { try store.foldPendingViews(bulkAtLeast: 1) }
        #expect(try Self.progress(store) == Progress(folded: 0, logEnd: UInt64(events.count), rebuilding: false))
        #expect(try store.storedViewVersion() == views.viewVersion)
        #expect(try RegistryViewsTestSupport.snapshot(store).values.allSatisfy(\.isEmpty))
        views.hooks.fail(false)
        #expect(try store.foldPendingViews(bulkAtLeast: 1) == 0)
        DeferredViewsTests.expectSame(try RegistryViewsTestSupport.snapshot(store), expected, "after a failed catch-up")
    }

    /// A rebuild that starts while the catch-up folds (another process opening the store
    /// finds the views stale) takes the views over: the catch-up stops without touching
    /// them, and the rebuild leaves the whole log folded.
    @Test func rebuildTakesOverTheCatchUp() throws {
        let (events, expected, directory, views, store) = try Self.backlog(seed: 5)
        #expect(try store.viewProgress().rebuilding == false)
        views.hooks.during { [directory] in
            let other = try RegistryViewsTestSupport.openRegistryStore(directory)
            #expect(try other.viewProgress().lag == 0)
        }
        #expect(try store.foldPendingViews(bulkAtLeast: 1) == 0)
        #expect(views.hooks.bulkFolds == 1)
        #expect(try Self.progress(store) == Progress(folded: UInt64(events.count), logEnd: UInt64(events.count), rebuilding: false))
        DeferredViewsTests.expectSame(try RegistryViewsTestSupport.snapshot(store), expected, "taken over by a rebuild")
    }
}
