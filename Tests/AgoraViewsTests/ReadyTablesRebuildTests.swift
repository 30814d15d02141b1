import AgoraCore
import AgoraMigrations
import AgoraStore
import AgoraTestSupport
import Dispatch
import Foundation
import Testing
@testable import AgoraViews

/// The rebuild appends each table as the fold hands it over, from the fold's threads, in
/// whatever order they finish: the views must not depend on that order, and a fold that fails
/// after handing over some tables must fail the rebuild, never leave those tables marked current.
@Suite struct ReadyTablesRebuildTests {
    /// The registry views, whose bulk fold hands its tables over in reverse database order, each
    /// from its own thread, and then throws when `fails`.
    struct Handover: ViewMaintainer {
        struct Failed: Error {}
        let inner = RegistryViews()
        let fails: Bool
        var viewVersion: UInt32 { inner.viewVersion }
        var databaseSpecs: [DatabaseSpec] { inner.databaseSpecs }

        func apply(_ events: [Event], in txn: WriteTransaction, store: StoreDatabases, views: ViewDatabases) throws {
            try inner.apply(events, in: txn, store: store, views: views)
        }

        func bulkFold(
            _ events: [Event], store: StoreDatabases, views: ViewDatabases, ready: @escaping @Sendable (SortedEntries) -> Void
        ) throws -> Bool {
            guard let tables = try inner.bulkFold(events, store: store, views: views) else { return false }
            let reversed = Array(tables.reversed())
            DispatchQueue.concurrentPerform(iterations: reversed.count) { ready(reversed[$0]) }
            if fails { throw Failed() }
            return true
        }
    }

    @Test func tablesInAnyOrderFromAnyThreadRebuildTheSameViews() throws {
        var rng = SeededGenerator(seed: 21)
        let directory = try TemporaryDirectory()
        let incremental = try RegistryViewsTestSupport.incrementalViews(try BulkRebuildTests.corpus(seed: 6), in: directory, using: &rng).views
        let store = try Store(home: directory.url, migrations: AgoraMigrations.all, views: Handover(fails: false))
        try store.rebuildViews(transactionBytes: 500)
        #expect(try RegistryViewsTestSupport.snapshot(store) == incremental)
        #expect(try store.storedViewVersion() == RegistryViews.version)
    }

    @Test func foldFailingAfterHandingOverTablesFailsTheRebuild() throws {
        var rng = SeededGenerator(seed: 22)
        let events = RegistryViewsTestSupport.interleave(try BulkRebuildTests.corpus(seed: 7), using: &rng)
        let directory = try TemporaryDirectory()
        do {
            let store = try RegistryViewsTestSupport.openRegistryStore(directory)
            #expect(try RegistryViewsTestSupport.appendInBatches(events, to: store, maxBatch: 64, using: &rng))
        }
        do {
            let failing = try Store(home: directory.url, migrations: AgoraMigrations.all, views: Handover(fails: true))
            #expect(throws: Handover.Failed.self) { try failing.rebuildViews() }
            #expect(try failing.storedViewVersion() == nil)
        }
        let reopened = try RegistryViewsTestSupport.openRegistryStore(directory)
        #expect(try reopened.storedViewVersion() == RegistryViews.version)
        let comparison = try reopened.verifyViews()
        #expect(comparison.equal, "\(comparison.mismatch?.description ?? "")")
    }
}
