import AgoraCore
import AgoraMigrations
import AgoraStore
import AgoraTestSupport
import Foundation
import Synchronization
import Testing
@testable import AgoraViews

/// Batches appended with the views deferred are prepared as they commit (`AppendedParts`), and
/// a fold run takes a part only where it holds exactly the part's events: whatever appended
/// the run's events (this handle, an earlier one, a handle after a restart), whatever ran in
/// between (immediate appends, a rebuild, a failed fold), the views end byte for byte as
/// immediate appends leave them.
@Suite struct AppendedPartsTests {
    /// `RegistryViews`, counting the parts made and the events a fold's preparation took from
    /// them; `failNextApply` makes the next `apply` throw (as a kill inside the fold would).
    struct Counted: RegistryViewsWrapper {
        struct Failed: Error {}

        final class Counts: Sendable {
            private let state = Mutex<(made: Int, reused: Int, failNextApply: Bool)>((0, 0, false))
            var made: Int { state.withLock { $0.made } }
            var reused: Int { state.withLock { $0.reused } }
            func failNextApply() { state.withLock { $0.failNextApply = true } }
            fileprivate func add(made: Int = 0, reused: Int = 0) { state.withLock { $0.made += made; $0.reused += reused } }
            fileprivate func takeFailure() -> Bool {
                state.withLock { state in
                    defer { state.failNextApply = false }
                    return state.failNextApply
                }
            }
        }

        let inner = RegistryViews()
        let counts = Counts()

        func preparePart(_ events: [Event], store: StoreDatabases, views: ViewDatabases) -> (any Sendable)? {
            counts.add(made: events.count)
            return inner.preparePart(events, store: store, views: views)
        }

        func prepare(_ events: [Event], reusing parts: [Int: any Sendable], store: StoreDatabases, views: ViewDatabases) -> (any Sendable)? {
            counts.add(reused: parts.values.reduce(0) { $0 + (($1 as? PreparedBatch.Part)?.count ?? 0) })
            return inner.prepare(events, reusing: parts, store: store, views: views)
        }

        /// No bulk fold, so batches appended while the views hold nothing are prepared too
        /// (a maintainer that folds in bulk leaves those to it: `BulkCatchUpTests`).
        var foldsInBulk: Bool { false }

        func apply(_ events: [Event], prepared: (any Sendable)?, in txn: WriteTransaction, store: StoreDatabases, views: ViewDatabases) throws {
            if counts.takeFailure() { throw Failed() }
            try inner.apply(events, prepared: prepared, in: txn, store: store, views: views)
        }
    }

    static func open(_ directory: TemporaryDirectory, _ views: Counted) throws -> Store {
        try Store(home: directory.url, migrations: AgoraMigrations.all, views: views)
    }

    static func appendDeferred(_ events: ArraySlice<Event>, to store: Store) throws {
        #expect(DeferredViewsTests.appendedAll(try store.append(Array(events), verification: .chain, views: .deferred)))
    }

    static func expectCurrent(_ store: Store, _ expected: [String: [UInt8]], _ context: String) throws {
        #expect(try store.viewProgress().lag == 0)
        #expect(try store.verifyViews().equal)
        DeferredViewsTests.expectSame(try RegistryViewsTestSupport.snapshot(store), expected, context)
    }

    /// Batches appended deferred and folded in runs of whole batches: every run is made of the
    /// parts prepared as its batches were appended, none of it prepared again.
    @Test(arguments: [UInt64(31), 32])
    func runsOfAppendedBatchesTakeTheirParts(seed: UInt64) throws {
        let (events, expected) = try DeferredViewsTests.corpus(seed: seed)
        let directory = try TemporaryDirectory()
        let views = Counted()
        let store = try Self.open(directory, views)
        let batch = 7
        var start = 0
        while start < events.count {
            for _ in 0..<3 where start < events.count {
                try Self.appendDeferred(events[start..<min(events.count, start + batch)], to: store)
                start += batch
            }
            #expect(try store.foldPendingViews(maxEvents: 3 * batch) == 0)
        }
        #expect(views.counts.made == events.count)
        #expect(views.counts.reused == events.count, "every folded event came prepared from its appended batch")
        try Self.expectCurrent(store, expected, "runs of appended batches, seed \(seed)")
    }

    /// Runs of random sizes over batches of random sizes, beside events a store appended before
    /// a restart (no parts for those): a part is taken only where a run holds it whole, and the
    /// rest is prepared as before.
    @Test(arguments: [UInt64(33), 34, 35])
    func runsAcrossPartsAndOtherEventsFoldTheSame(seed: UInt64) throws {
        let (events, expected) = try DeferredViewsTests.corpus(seed: seed)
        var rng = SeededGenerator(seed: seed &+ 70)
        let directory = try TemporaryDirectory()
        let before = events.count / 3
        do {
            let earlier = try Self.open(directory, Counted())
            try Self.appendDeferred(events[..<before], to: earlier)
        }
        let views = Counted()
        let store = try Self.open(directory, views)
        var start = before
        while start < events.count {
            let end = min(events.count, start + Int.random(in: 1...30, using: &rng))
            try Self.appendDeferred(events[start..<end], to: store)
            start = end
            if Int.random(in: 0..<3, using: &rng) == 0 { try store.foldPendingViews(maxEvents: Int.random(in: 1...90, using: &rng)) }
        }
        while try store.foldPendingViews(maxEvents: Int.random(in: 1...90, using: &rng)) > 0 {}
        #expect(views.counts.made == events.count - before)
        #expect(views.counts.reused <= events.count - before)
        try Self.expectCurrent(store, expected, "runs across parts, seed \(seed)")
    }

    /// Parts whose events reached the views some other way — an immediate append, a rebuild —
    /// or whose fold failed are never used later; the next folds take only the parts of what is
    /// still pending.
    @Test func partsOvertakenOrFailedAreNotUsed() throws {
        let (events, expected) = try DeferredViewsTests.corpus(seed: 36)
        #expect(events.count > 90)
        let directory = try TemporaryDirectory()
        let views = Counted()
        let store = try Self.open(directory, views)
        // Folded by an immediate append: these parts are stale.
        try Self.appendDeferred(events[0..<10], to: store)
        try Self.appendDeferred(events[10..<20], to: store)
        #expect(DeferredViewsTests.appendedAll(try store.append(Array(events[20..<25]), verification: .chain)))
        // Folded by a rebuild.
        try Self.appendDeferred(events[25..<40], to: store)
        try store.rebuildViews()
        // Taken by a fold that fails; the retry prepares the run itself.
        try Self.appendDeferred(events[40..<50], to: store)
        views.counts.failNextApply()
        #expect(throws: Counted.Failed.self) { try store.foldPendingViews(maxEvents: 10) }
        #expect(try store.viewProgress().lag == 10)
        let reusedBefore = views.counts.reused
        #expect(try store.foldPendingViews(maxEvents: 10) == 0)
        #expect(views.counts.reused == reusedBefore, "the failed fold's parts are gone")
        // Still pending: taken.
        try Self.appendDeferred(events[50..<70], to: store)
        try Self.appendDeferred(events[70...], to: store)
        let reused = views.counts.reused
        while try store.foldPendingViews(maxEvents: 20) > 0 {}
        #expect(views.counts.reused - reused == 20, "only the batch of 20 fits a run whole")
        try Self.expectCurrent(store, expected, "parts overtaken or failed")
    }
}
