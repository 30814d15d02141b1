import AgoraCore
import AgoraMigrations
import Foundation
import AgoraTestSupport
import Testing
@testable import AgoraStore

@Suite struct StoreVerifyTests {
    private func populated(_ directory: TemporaryDirectory) throws -> (Store, [Event]) {
        let store = try openStore(directory)
        var feeds = (1...3).map { FeedBuilder(seed: UInt8($0)) }
        for round in 0..<20 {
            for index in feeds.indices { feeds[index].publish("scope\(index)", "pkg", "1.\(round).0") }
        }
        let events = feeds.flatMap(\.events)
        _ = try store.append(events, verification: .chain)
        return (store, events)
    }

    @Test func cleanStorePassesBothModes() throws {
        let directory = try TemporaryDirectory()
        let (store, events) = try populated(directory)
        let quick = try store.verify(deep: false)
        #expect(quick.ok && quick.events == events.count && quick.feeds == 3 && quick.signaturesChecked == 3)
        let deep = try store.verify(deep: true)
        #expect(deep.ok && deep.signaturesChecked == events.count)
    }

    @Test func alteredEventBytesAreNamed() throws {
        let directory = try TemporaryDirectory()
        let (store, events) = try populated(directory)
        let victim = events[25]
        let localSeq = try store.read { try store.databases.localSeq(of: victim.id, in: $0) }!
        try store.environment.write { txn in
            var bytes = victim.bytes
            bytes[bytes.count - 10] ^= 1
            try txn.put(store.databases.log, key: BigEndian.bytes(localSeq), value: bytes)
        }
        let report = try store.verify(deep: false)
        #expect(report.firstProblem == VerifyProblem(
            localSeq: localSeq, author: victim.author, seq: victim.seq,
            reason: "the event ID index does not point at this entry; its bytes may have been altered"))
        #expect(report.firstProblem?.description.contains("local seq \(localSeq)") == true)
    }

    @Test func undecodableEntryIsNamed() throws {
        let directory = try TemporaryDirectory()
        let (store, _) = try populated(directory)
        try store.environment.write { txn in try txn.put(store.databases.log, key: BigEndian.bytes(UInt64(7)), value: [1, 2, 3]) }
        let report = try store.verify(deep: true)
        #expect(report.firstProblem?.localSeq == 7)
        #expect(report.firstProblem?.author == nil)
        #expect(report.events == 6)
    }

    @Test func missingFeedHeadRecordIsFound() throws {
        let directory = try TemporaryDirectory()
        let (store, events) = try populated(directory)
        try store.environment.write { txn in try txn.delete(store.databases.feeds, key: events[0].author.bytes) }
        let report = try store.verify(deep: false)
        #expect(report.firstProblem?.reason == "the feeds database does not record this event as the feed head")
        #expect(report.firstProblem?.author == events[0].author)
    }

    @Test func deepModeFindsABadSignatureBehindAValidHead() throws {
        let directory = try TemporaryDirectory()
        let store = try openStore(directory)
        var alice = FeedBuilder(seed: 1)
        alice.publish("acme", "tool", "1.0.0")
        let bad = try forged(alice.events[0])
        _ = try store.append([bad], verification: .none)
        #expect(try !store.verify(deep: true).ok)
        #expect(try store.verify(deep: true).firstProblem?.reason == "bad signature")
    }

    @Test func viewsRebuiltFromShuffledLogsAreByteIdentical() throws {
        var feeds = (1...4).map { FeedBuilder(seed: UInt8($0)) }
        for round in 0..<30 {
            for index in feeds.indices { feeds[index].publish("scope\(index % 2)", "pkg\(round % 7)", "1.\(round % 5).0", digestByte: UInt8(round)) }
        }
        var snapshots: [[[UInt8]]] = []
        for seed in 1...3 {
            var generator = SeededGenerator(seed: UInt64(seed))
            var cursors = [Int](repeating: 0, count: feeds.count)
            var order: [Event] = []
            while order.count < feeds.count * 30 {
                let feed = Int.random(in: 0..<feeds.count, using: &generator)
                guard cursors[feed] < 30 else { continue }
                order.append(feeds[feed].events[cursors[feed]])
                cursors[feed] += 1
            }
            let directory = try TemporaryDirectory()
            let store = try openStore(directory)
            var start = 0
            while start < order.count {
                let size = Int.random(in: 1...25, using: &generator)
                _ = try store.append(Array(order[start..<min(start + size, order.count)]), verification: .chain)
                start += size
            }
            let comparison = try store.verifyViews()
            #expect(comparison.equal, "\(comparison.mismatch.map { "\($0)" } ?? "")")
            #expect(comparison.events == order.count)
            snapshots.append(try store.read { txn in
                var all: [[UInt8]] = []
                for db in store.viewDatabases.all {
                    try txn.forEach(db) { entry in
                        all.append(Array(entry.key) + [0xFF] + Array(entry.value))
                        return true
                    }
                }
                return all
            })
        }
        #expect(snapshots[0].count > 100)
        #expect(snapshots.allSatisfy { $0 == snapshots[0] })
    }

    @Test func tamperedViewIsReported() throws {
        let directory = try TemporaryDirectory()
        let (store, _) = try populated(directory)
        let key = try store.read { txn in
            try txn.withCursor(store.viewDatabases.all[0]) { try Array($0.first()!.key) }
        }
        try store.environment.write { txn in try txn.put(store.viewDatabases.all[0], key: key, value: [0]) }
        let comparison = try store.verifyViews()
        #expect(comparison.mismatch == ViewMismatch(database: "testReleases", key: key, reason: "values differ"))
        try store.rebuildViews()
        #expect(try store.verifyViews().equal)
    }

    /// What a person reads: one event is not "1 events", and the duration has one decimal.
    @Test func noticesCountEventsInWords() {
        #expect(StoreNotice.rebuildingViews(events: 1, builtBy: 9, current: 10).description
            == "rebuilding the views from the log (1 event): they were built by view version 9, this agora folds version 10")
        #expect(StoreNotice.rebuildingViews(events: 2, builtBy: nil, current: 10).description.hasPrefix("rebuilding the views from the log (2 events): they are stale"))
        #expect(StoreNotice.viewsRebuilt(events: 1, duration: .milliseconds(1250)).description == "views rebuilt from 1 event in 1.2 s")
        #expect(StoreNotice.viewsRebuilt(events: 100_000, duration: .seconds(3)).description == "views rebuilt from 100000 events in 3.0 s")
    }

    @Test func newViewVersionRebuildsOnOpen() throws {
        let directory = try TemporaryDirectory()
        do {
            let (store, _) = try populated(directory)
            try store.environment.write { txn in try txn.clear(store.viewDatabases.all[0]) }
        }
        var notices: [StoreNotice] = []
        let reopened = try Store(home: directory.url, migrations: AgoraMigrations.all, views: TestViews(viewVersion: 2)) { notices.append($0) }
        #expect(try reopened.storedViewVersion() == 2)
        #expect(try reopened.read { try $0.count(reopened.viewDatabases.all[0]) } == 60)
        #expect(try reopened.verifyViews().equal)
        let events = try reopened.lastLocalSeq()
        #expect(notices.first == .rebuildingViews(events: events, builtBy: 1, current: 2))
        #expect(notices.count == 2)
        if case .viewsRebuilt(let rebuilt, _)? = notices.last { #expect(rebuilt == events) } else { Issue.record("no rebuilt notice: \(notices)") }
        notices = []
        _ = try Store(home: directory.url, migrations: AgoraMigrations.all, views: TestViews(viewVersion: 2)) { notices.append($0) }
        #expect(notices.isEmpty)
    }

    /// An empty log rebuilds in no time: nothing to tell.
    @Test func emptyStoreRebuildsWithoutNotice() throws {
        let directory = try TemporaryDirectory()
        _ = try openStore(directory)
        var notices: [StoreNotice] = []
        let reopened = try Store(home: directory.url, migrations: AgoraMigrations.all, views: TestViews(viewVersion: 3)) { notices.append($0) }
        #expect(try reopened.storedViewVersion() == 3)
        #expect(notices.isEmpty)
    }
}
