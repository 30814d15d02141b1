import AgoraCore
import AgoraMigrations
import Foundation
import AgoraTestSupport
import Testing
@testable import AgoraStore

@Suite struct MigrationTests {
    static let extraSpec = DatabaseSpec("extra")
    static let current = StoreLayout.currentVersion
    /// A step beyond the code's layout, as a future binary would add.
    static let nextStep = MigrationStep(version: current + 1, summary: "test: add a database and copy the layout marker") { txn in
        let extra = try txn.createDatabase(extraSpec)
        try txn.put(extra, key: Array("added".utf8), value: [2])
    }

    @Test func freshStoreRunsEveryLayoutStep() throws {
        let directory = try TemporaryDirectory()
        let store = try openStore(directory)
        #expect(store.migration == MigrationReport(from: 0, to: Self.current))
        #expect(store.migration.applied == Array(1...Self.current))
        #expect(try Migrator.layoutVersion(of: store.environment) == Self.current)
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
        let upgraded = try Store(home: directory.url, migrations: AgoraMigrations.all + [Self.nextStep], views: TestViews())
        #expect(upgraded.migration == MigrationReport(from: Self.current, to: Self.current + 1))
        #expect(try upgraded.event(id: alice.events[0].id) == alice.events[0])
        #expect(try upgraded.blob(digest) == Array("archive".utf8))
        #expect(try upgraded.verify(deep: true).ok)
        let added = try upgraded.read { txn in try txn.openDatabase(Self.extraSpec).flatMap { try txn.get($0, key: Array("added".utf8)) } }
        #expect(added == [2])
    }

    /// Layout 3 deletes the SymSpell typo index that view version 5 replaced.
    @Test func layoutThreeDropsTheOldTypoIndex() throws {
        let directory = try TemporaryDirectory()
        let fuzzy = DatabaseSpec("fuzzy", flags: [.duplicateSort, .duplicateFixed])
        do {
            let store = try openStore(directory)
            try store.environment.write { txn in
                let db = try txn.createDatabase(fuzzy)
                try txn.put(db, key: Array("reqests".utf8), value: [UInt8](repeating: 1, count: 8))
                try txn.put(try txn.createDatabase(StoreDatabases.metaSpec), key: Migrator.layoutKey, value: BigEndian.bytes(UInt32(2)))
            }
        }
        let upgraded = try openStore(directory)
        #expect(upgraded.migration == MigrationReport(from: 2, to: Self.current))
        #expect(try upgraded.read { txn in try txn.openDatabase(fuzzy) } == nil)
        #expect(try upgraded.environment.write { txn in try txn.dropDatabase(fuzzy) } == false)
    }

    /// Layout 5 deletes the author index that view version 8 replaced by reading feeds.
    @Test func layoutFiveDropsTheAuthorIndex() throws {
        let directory = try TemporaryDirectory()
        let authorIndex = DatabaseSpec("authorIndex", flags: [.duplicateSort])
        do {
            let store = try openStore(directory)
            try store.environment.write { txn in
                let db = try txn.createDatabase(authorIndex)
                try txn.put(db, key: [UInt8](repeating: 7, count: 32), value: Array("scope/name".utf8))
                try txn.put(try txn.createDatabase(StoreDatabases.metaSpec), key: Migrator.layoutKey, value: BigEndian.bytes(UInt32(4)))
            }
        }
        let upgraded = try openStore(directory)
        #expect(upgraded.migration == MigrationReport(from: 4, to: Self.current))
        #expect(try upgraded.read { txn in try txn.openDatabase(authorIndex) } == nil)
        #expect(try upgraded.environment.write { txn in try txn.dropDatabase(authorIndex) } == false)
    }

    /// Layout 4 adds the archive cache's databases to a store of layout 3, keeping its blobs.
    @Test func layoutFourAddsTheCacheDatabases() throws {
        let directory = try TemporaryDirectory()
        let names = ["blobUses", "blobPins", "blobPending"]
        let digest: BlobDigest
        do {
            let store = try openStore(directory)
            digest = try store.putBlob(Array("archive".utf8))
            try store.environment.write { txn in
                for name in names { #expect(try txn.dropDatabase(DatabaseSpec(name))) }
                try txn.put(try txn.createDatabase(StoreDatabases.metaSpec), key: Migrator.layoutKey, value: BigEndian.bytes(UInt32(3)))
            }
        }
        let upgraded = try openStore(directory)
        #expect(upgraded.migration == MigrationReport(from: 3, to: Self.current))
        for name in names { #expect(try upgraded.read { txn in try txn.openDatabase(DatabaseSpec(name)) } != nil) }
        #expect(try upgraded.blob(digest) == Array("archive".utf8))
        #expect(try upgraded.archiveCacheUsage().archives == 1)
    }

    @Test func newerStoreIsRefusedNamingBothVersions() throws {
        let directory = try TemporaryDirectory()
        do {
            _ = try Store(home: directory.url, migrations: AgoraMigrations.all + [Self.nextStep], views: nil)
        }
        do {
            _ = try openStore(directory)
            Issue.record("a store of a newer layout opened with a binary that knows an older one")
        } catch let error as StoreError {
            #expect(error == .layoutTooNew(store: Self.current + 1, binary: Self.current))
            #expect(error.description.contains("\(Self.current + 1)") && error.description.contains("(\(Self.current))"))
        }
    }

    @Test func stepsMustBeConsecutiveAndReachTheCodeLayout() throws {
        #expect(throws: StoreError.migrationOutOfOrder(expected: Self.current + 1, found: Self.current + 2)) {
            try Migrator(steps: AgoraMigrations.all + [MigrationStep(version: Self.current + 2, summary: "skips one") { _ in }])
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
        let failing = MigrationStep(version: Self.current + 1, summary: "fails halfway") { txn in
            _ = try txn.createDatabase(Self.extraSpec)
            throw Refused()
        }
        #expect(throws: Refused.self) { try Store(home: directory.url, migrations: AgoraMigrations.all + [failing], views: nil) }
        let store = try openStore(directory)
        #expect(try Migrator.layoutVersion(of: store.environment) == Self.current)
        #expect(try store.read { try $0.openDatabase(Self.extraSpec) } == nil)
    }
}
