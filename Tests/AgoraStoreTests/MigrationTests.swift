import AgoraCore
import AgoraMigrations
import Foundation
import AgoraTestSupport
import Testing
@testable import AgoraStore

@Suite struct MigrationTests {
    static let extraSpec = DatabaseSpec("extra")
    static let step2 = MigrationStep(version: 2, summary: "test: add a database and copy the layout marker") { txn in
        let extra = try txn.createDatabase(extraSpec)
        try txn.put(extra, key: Array("added".utf8), value: [2])
    }

    @Test func freshStoreRunsLayoutOne() throws {
        let directory = try TemporaryDirectory()
        let store = try openStore(directory)
        #expect(store.migration == MigrationReport(from: 0, to: 1))
        #expect(store.migration.applied == [1])
        #expect(try Migrator.layoutVersion(of: store.environment) == 1)
    }

    @Test func upgradeKeepsData() throws {
        let directory = try TemporaryDirectory()
        var alice = FeedBuilder(seed: 1)
        alice.publish("acme", "tool", "1.0.0")
        let digest: BlobDigest
        do {
            let store = try openStore(directory)
            _ = try store.append(alice.events, verification: .chain)
            digest = try store.putBlob(Array("archive".utf8))
        }
        let upgraded = try Store(home: directory.url, migrations: AgoraMigrations.all + [Self.step2], views: TestViews())
        #expect(upgraded.migration == MigrationReport(from: 1, to: 2))
        #expect(try upgraded.event(id: alice.events[0].id) == alice.events[0])
        #expect(try upgraded.blob(digest) == Array("archive".utf8))
        #expect(try upgraded.verify(deep: true).ok)
        let added = try upgraded.read { txn in try txn.openDatabase(Self.extraSpec).flatMap { try txn.get($0, key: Array("added".utf8)) } }
        #expect(added == [2])
    }

    @Test func newerStoreIsRefusedNamingBothVersions() throws {
        let directory = try TemporaryDirectory()
        do {
            _ = try Store(home: directory.url, migrations: AgoraMigrations.all + [Self.step2], views: nil)
        }
        do {
            _ = try openStore(directory)
            Issue.record("a layout 2 store opened with a binary that knows layout 1")
        } catch let error as StoreError {
            #expect(error == .layoutTooNew(store: 2, binary: 1))
            #expect(error.description.contains("2") && error.description.contains("(1)"))
        }
    }

    @Test func stepsMustBeConsecutiveAndReachTheCodeLayout() throws {
        #expect(throws: StoreError.migrationOutOfOrder(expected: 2, found: 3)) {
            try Migrator(steps: AgoraMigrations.all + [MigrationStep(version: 3, summary: "skips 2") { _ in }])
        }
        let directory = try TemporaryDirectory()
        #expect(throws: StoreError.migrationsIncomplete(reach: 0, needed: StoreLayout.currentVersion)) {
            try Store(home: directory.url, migrations: [], views: nil)
        }
    }

    @Test func failingStepLeavesThePreviousLayout() throws {
        struct Refused: Error {}
        let directory = try TemporaryDirectory()
        do { _ = try openStore(directory) }
        let failing = MigrationStep(version: 2, summary: "fails halfway") { txn in
            _ = try txn.createDatabase(Self.extraSpec)
            throw Refused()
        }
        #expect(throws: Refused.self) { try Store(home: directory.url, migrations: AgoraMigrations.all + [failing], views: nil) }
        let store = try openStore(directory)
        #expect(try Migrator.layoutVersion(of: store.environment) == 1)
        #expect(try store.read { try $0.openDatabase(Self.extraSpec) } == nil)
    }
}
