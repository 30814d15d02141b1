import AgoraCore
import Foundation
import Testing
import AgoraStore
import AgoraTestSupport
@testable import AgoraViews

/// Peer scores in the store are the fold of their event set: any arrival order, events applied
/// twice, and a rebuild racing appends all give the bytes a fresh replay gives.
@Suite struct PeerScoreViewTests {
    static let peers: [[UInt8]] = (0..<4).map { [0x00, 0x24, UInt8($0), 7] }

    /// Several feeds of retrieval and penalty events about a few peers, with releases between.
    static func feeds(seed: UInt64, count: Int) -> [[Event]] {
        var rng = SeededGenerator(seed: seed)
        var builders = (1...3).map { FeedBuilder(seed: UInt8($0)) }
        for index in 0..<count {
            let feed = Int.random(in: 0..<builders.count, using: &rng)
            let peer = peers.randomElement(using: &rng)!
            switch Int.random(in: 0..<6, using: &rng) {
            case 0: builders[feed].append(.peerPenalised(PeerPenalised(peer: peer, reason: "bad \(index)", evidence: [1])))
            case 1: builders[feed].publish("acme", "pkg\(index % 5)", "1.\(index).0")
            default:
                let outcome = RetrievalObserved.Outcome(rawValue: UInt64.random(in: 0...4, using: &rng))!
                builders[feed].append(.retrievalObserved(RetrievalObserved(
                    peer: peer, digest: [UInt8(index & 0xff)], outcome: outcome, bytes: UInt64(index * 10), latencyMicros: UInt64(index))))
            }
        }
        return builders.map(\.events)
    }

    static func scoreBytes(_ store: Store) throws -> [[UInt8]] {
        try store.read { txn in
            var out: [[UInt8]] = []
            try txn.forEach(RegistryDatabases(store).scores) { entry in
                out.append(Array(entry.key) + [0xff] + Array(entry.value))
                return true
            }
            return out
        }
    }

    @Test func anyOrderAndRepeatedApplicationGiveTheSameScores() throws {
        let feeds = Self.feeds(seed: 11, count: 120)
        let all = feeds.flatMap { $0 }
        let expected = PeerScoreFold.fold(events: all)
        var rng = SeededGenerator(seed: 12)
        var reference: [[UInt8]]?
        for round in 0..<6 {
            let directory = try TemporaryDirectory()
            let store = try RegistryViewsTestSupport.openRegistryStore(directory)
            let order = RegistryViewsTestSupport.interleave(feeds, using: &rng)
            #expect(try RegistryViewsTestSupport.appendInBatches(order, to: store, maxBatch: 17, using: &rng))
            // Applying events a second time (what a rebuild meeting an append does) changes nothing.
            let again = Array(order.shuffled(using: &rng).prefix(40))
            try store.environment.write { txn in try RegistryViews().apply(again, in: txn, store: store.databases, views: store.viewDatabases) }
            let bytes = try Self.scoreBytes(store)
            if let reference { #expect(bytes == reference, "round \(round)") } else { reference = bytes }
            #expect(try store.peerScores() == expected)
            #expect(try store.verifyViews().equal)
        }
    }

    /// A rebuild and an appender interleave their write transactions (the rebuild runs one
    /// transaction per page, here pages of 5 events): every event is still counted once.
    @Test func rebuildRacingAppendsCountsEveryEventOnce() throws {
        let feeds = Self.feeds(seed: 21, count: 400)
        let directory = try TemporaryDirectory()
        let store = try RegistryViewsTestSupport.openRegistryStore(directory)
        let split = feeds.map { $0.count / 2 }
        for (feed, events) in feeds.enumerated() { _ = try store.append(Array(events[..<split[feed]]), verification: .none) }
        let later = feeds.enumerated().map { Array($0.element[split[$0.offset]...]) }

        let appended = DispatchSemaphore(value: 0)
        let failure = LockedBox<String?>(nil)
        Thread.detachNewThread {
            do {
                for round in 0..<later.map(\.count).max()! {
                    let batch = later.compactMap { round < $0.count ? $0[round] : nil }
                    _ = try store.append(batch, verification: .none)
                }
            } catch {
                failure.set("\(error)")
            }
            appended.signal()
        }
        try store.rebuildViews(pageSize: 5)
        #expect(appended.wait(timeout: .now() + 120) == .success)
        #expect(failure.current == nil)
        #expect(try store.storedViewVersion() == RegistryViews.version)
        #expect(try store.peerScores() == PeerScoreFold.fold(events: feeds.flatMap { $0 }))
        #expect(try store.verifyViews().equal)
    }

    /// Two rebuilds at once (two processes opening a store whose views are stale): the one
    /// overtaken stops and waits for the other, and both return with the views current.
    @Test func twoRebuildsAtOnceBothEndWithCurrentViews() throws {
        let feeds = Self.feeds(seed: 51, count: 300)
        let directory = try TemporaryDirectory()
        let store = try RegistryViewsTestSupport.openRegistryStore(directory)
        for events in feeds { _ = try store.append(events, verification: .none) }
        let second = DispatchSemaphore(value: 0)
        let failure = LockedBox<String?>(nil)
        Thread.detachNewThread {
            Thread.sleep(forTimeInterval: 0.05)
            do { try store.rebuildViews(pageSize: 3) } catch { failure.set("\(error)") }
            second.signal()
        }
        try store.rebuildViews(pageSize: 3)
        #expect(try store.storedViewVersion() == RegistryViews.version, "the first rebuild returns only when the views are current")
        #expect(second.wait(timeout: .now() + 120) == .success)
        #expect(failure.current == nil)
        #expect(try store.peerScores() == PeerScoreFold.fold(events: feeds.flatMap { $0 }))
        #expect(try store.verifyViews().equal)
    }

    /// Sums saturate instead of wrapping: absurd byte counts cannot wrap a total back to small.
    @Test func sumsSaturate() {
        var feed = FeedBuilder(seed: 9)
        for _ in 0..<3 {
            feed.append(.retrievalObserved(RetrievalObserved(peer: Self.peers[0], digest: [1], outcome: .success, bytes: .max, latencyMicros: .max)))
        }
        let score = PeerScoreFold.fold(events: feed.events)[0]
        #expect(score.bytesServed == .max && score.latencyMicrosTotal == .max && score.successes == 3)
    }
}
