import AgoraCore
import Foundation
import AgoraTestSupport
import Testing
@testable import AgoraStore

@Suite struct StoreAppendTests {
    @Test func appendsChainsAndServesFeedQueries() throws {
        let directory = try TemporaryDirectory()
        let store = try openStore(directory)
        var alice = FeedBuilder(seed: 1)
        var bob = FeedBuilder(seed: 2)
        for index in 0..<5 {
            alice.publish("acme", "tool\(index)", "1.0.0")
            bob.publish("bobs", "lib", "1.\(index).0")
        }
        let interleaved = zip(alice.events, bob.events).flatMap { [$0, $1] }
        let outcomes = try store.append(interleaved, verification: .chain)
        #expect(outcomes == (1...10).map { AppendOutcome.appended(localSeq: UInt64($0)) })
        #expect(try store.head(of: alice.key) == FeedHead(seq: 5, id: alice.events[4].id))
        #expect(try store.event(id: bob.events[2].id) == bob.events[2])
        #expect(try store.events(author: alice.key, from: 2, to: 4) == Array(alice.events[1...3]))
        #expect(try store.events(author: bob.key) == bob.events)
        #expect(try store.lastLocalSeq() == 10)
        let firstPage = try store.events(since: 0, limit: 4)
        #expect(firstPage.map(\.localSeq) == [1, 2, 3, 4])
        let secondPage = try store.events(since: firstPage.last!.localSeq, limit: 100)
        #expect((firstPage + secondPage).map(\.event) == interleaved)
        #expect(try store.events(since: 10, limit: 10).isEmpty)
    }

    @Test func duplicatesAreIdempotent() throws {
        let directory = try TemporaryDirectory()
        let store = try openStore(directory)
        var alice = FeedBuilder(seed: 1)
        alice.publish("acme", "tool", "1.0.0")
        alice.publish("acme", "tool", "1.1.0")
        _ = try store.append(alice.events, verification: .chain)
        let again = try store.append(alice.events + [alice.events[0]], verification: .chain)
        #expect(again == [.duplicate(localSeq: 1), .duplicate(localSeq: 2), .duplicate(localSeq: 1)])
        #expect(try store.lastLocalSeq() == 2)
        alice.publish("acme", "tool", "1.2.0")
        let sameBatch = try store.append([alice.events[2], alice.events[2]], verification: .everySignature)
        #expect(sameBatch == [.appended(localSeq: 3), .duplicate(localSeq: 3)])
    }

    @Test func gapsAndBrokenChainsAreRejectedWithReasons() throws {
        let directory = try TemporaryDirectory()
        let store = try openStore(directory)
        var alice = FeedBuilder(seed: 1)
        for index in 0..<3 { alice.publish("acme", "tool", "1.\(index).0") }
        let gap = try store.append([alice.events[2]], verification: .chain)
        #expect(gap == [.rejected(.gap(expected: 1, got: 3))])
        #expect(gap.description.contains("3"))
        _ = try store.append([alice.events[0]], verification: .chain)
        var fork = FeedBuilder(seed: 1)
        fork.publish("acme", "other", "9.0.0")
        fork.publish("acme", "other", "9.1.0")
        let broken = try store.append([fork.events[1]], verification: .chain)
        #expect(broken == [.rejected(.brokenChain(seq: 2, expectedPrev: alice.events[0].id, got: fork.events[0].id))])
        #expect(try store.head(of: alice.key)?.seq == 1)
    }

    /// A sync position covers its whole batch, so it is committed only when every event of the
    /// batch was accepted: a forged event, a gap or a broken chain anywhere in it (first, middle,
    /// last, for seeded batch sizes) leaves the stored position where it was.
    @Test func aPositionIsRecordedOnlyWhenTheWholeBatchIsAccepted() throws {
        let directory = try TemporaryDirectory()
        let store = try openStore(directory)
        let peer: [UInt8] = [7, 7, 7]
        var generator = SeededGenerator(seed: 17)
        var feeds = (0..<3).map { FeedBuilder(seed: UInt8(40 + $0)) }
        var position: UInt64 = 0
        for round in 0..<12 {
            let size = Int.random(in: 1...6, using: &generator)
            var batch = (0..<size).map { feeds[$0 % 3].publish("scope\($0 % 3)", "p\(round)-\($0)", "1.0.0") }
            let spoilt = Int.random(in: 0..<size, using: &generator)
            switch round % 3 {
            case 0:
                batch[spoilt] = try forged(batch[spoilt])
            case 1:
                // An event of a feed this store has never seen, from its second seq on: a gap.
                var stranger = FeedBuilder(seed: UInt8(100 + round))
                stranger.publish("stranger", "a", "1.0.0")
                batch.insert(stranger.publish("stranger", "b", "1.0.0"), at: spoilt)
            default:
                break
            }
            let claimed = position + UInt64(batch.count)
            let outcomes = try store.append(
                batch, verification: .chain, recording: [try #require(SyncPosition(peer: peer, localSeq: claimed))])
            let rejected = outcomes.contains { if case .rejected = $0 { true } else { false } }
            #expect(rejected == (round % 3 != 2))
            if !rejected { position = claimed }
            #expect(try store.syncPosition(of: peer) == position, "round \(round)")
            // Later events of a feed whose batch was spoilt cannot chain any more: start fresh feeds.
            if rejected { feeds = (0..<3).map { FeedBuilder(seed: UInt8(120 + round * 3 + $0)) } }
        }
        #expect(position > 0)
    }

    @Test func equivocationKeepsBothEvents() throws {
        let directory = try TemporaryDirectory()
        let store = try openStore(directory)
        var alice = FeedBuilder(seed: 1)
        alice.publish("acme", "tool", "1.0.0")
        alice.publish("acme", "tool", "1.1.0")
        var twin = FeedBuilder(seed: 1)
        twin.publish("acme", "tool", "1.0.0")
        twin.publish("acme", "evil", "6.6.6")
        #expect(twin.events[0] == alice.events[0])
        let outcomes = try store.append(alice.events + [twin.events[1]], verification: .chain)
        #expect(outcomes == [.appended(localSeq: 1), .appended(localSeq: 2), .equivocation(accepted: alice.events[1].id)])
        let evidence = try store.equivocations(of: alice.key)
        #expect(evidence == [Equivocation(author: alice.key, seq: 2, accepted: alice.events[1].id, conflicting: twin.events[1])])
        #expect(try store.head(of: alice.key)?.id == alice.events[1].id)
        #expect(try store.lastLocalSeq() == 2)
        let forgedEvidence = try store.append([forged(twin.events[1])], verification: .none)
        #expect(forgedEvidence == [.rejected(.badSignature(seq: 2))], "unsigned evidence could frame an honest author")
    }

    @Test func chainModeChecksOneSignaturePerAuthorAndFallsBackOnFailure() throws {
        let directory = try TemporaryDirectory()
        let store = try openStore(directory)
        var alice = FeedBuilder(seed: 1)
        for index in 0..<4 { alice.publish("acme", "tool", "1.\(index).0") }
        var batch = Array(alice.events[0..<3])
        batch.append(try forged(alice.events[3]))
        let outcomes = try store.append(batch, verification: .chain)
        #expect(outcomes == [.appended(localSeq: 1), .appended(localSeq: 2), .appended(localSeq: 3), .rejected(.badSignature(seq: 4))])

        var bob = FeedBuilder(seed: 2)
        bob.publish("bobs", "lib", "1.0.0")
        bob.publish("bobs", "lib", "1.1.0")
        let forgedFirst = try forged(bob.events[0])
        let rejected = try store.append([forgedFirst], verification: .chain)
        #expect(rejected == [.rejected(.badSignature(seq: 1))])
        let unchecked = try store.append([forgedFirst], verification: .none)
        #expect(unchecked == [.appended(localSeq: 4)], "`.none` trusts the caller")
        let report = try store.verify(deep: false)
        #expect(report.firstProblem?.reason == "bad signature on the feed head")
        #expect(report.firstProblem?.localSeq == 4)
    }

    @Test func chainModeVerifiesTheLastAppendedWhenTheBatchEndsInARejection() throws {
        let directory = try TemporaryDirectory()
        let store = try openStore(directory)
        var alice = FeedBuilder(seed: 1)
        for index in 0..<4 { alice.publish("acme", "tool", "1.\(index).0") }
        let forgedSecond = try forged(alice.events[1])
        let outcomes = try store.append([alice.events[0], forgedSecond, alice.events[3]], verification: .chain)
        #expect(outcomes == [.appended(localSeq: 1), .rejected(.badSignature(seq: 2)), .rejected(.gap(expected: 2, got: 4))])
        #expect(try store.head(of: alice.key)?.seq == 1)
    }

    @Test func viewsAreMaintainedInTheAppendTransactionAndMarkedStaleWithout() throws {
        let directory = try TemporaryDirectory()
        var alice = FeedBuilder(seed: 1)
        alice.publish("acme", "tool", "1.0.0")
        alice.publish("acme", "tool", "1.1.0")
        do {
            let store = try openStore(directory)
            _ = try store.append([alice.events[0]], verification: .chain)
            #expect(try store.read { try $0.count(store.viewDatabases.all[0]) } == 1)
            #expect(try store.storedViewVersion() == 1)
        }
        do {
            let bare = try openStore(directory, views: nil)
            _ = try bare.append([alice.events[1]], verification: .chain)
            #expect(try bare.storedViewVersion() == nil)
            #expect(throws: StoreError.noViewMaintainer) { try bare.verifyViews() }
        }
        let reopened = try openStore(directory)
        #expect(try reopened.storedViewVersion() == 1)
        #expect(try reopened.read { try $0.count(reopened.viewDatabases.all[0]) } == 2)
        #expect(try reopened.verifyViews().equal)
    }

    @Test func pinsAreLocalAndCaseInsensitive() throws {
        let directory = try TemporaryDirectory()
        let store = try openStore(directory)
        let alice = FeedBuilder(seed: 1)
        #expect(try store.pinnedKey(for: "acme") == nil)
        try store.pin(alice.key, for: "Acme")
        #expect(try store.pinnedKey(for: "ACME") == alice.key)
        #expect(try store.pins().map(\.scope) == ["acme"])
        #expect(try store.unpin(scope: "acme"))
        #expect(try store.pinnedKey(for: "acme") == nil)
    }

    /// Prints the append rate; the benchmark package asserts nothing about wall time either.
    @Test func batchedAppendRate() throws {
        let directory = try TemporaryDirectory()
        let store = try openStore(directory)
        var feeds = (1...10).map { FeedBuilder(seed: UInt8($0)) }
        for round in 0..<1_000 {
            for index in feeds.indices { feeds[index].publish("scope\(index)", "pkg\(round % 50)", "1.\(round).0") }
        }
        let events = feeds.flatMap(\.events)
        let clock = ContinuousClock()
        var appended = 0
        let batched = try clock.measure {
            for start in stride(from: 0, to: events.count, by: 2_000) {
                appended += try store.append(Array(events[start..<min(start + 2_000, events.count)]), verification: .chain)
                    .filter { if case .appended = $0 { true } else { false } }.count
            }
        }
        #expect(appended == events.count)
        var more = FeedBuilder(seed: 99)
        for round in 0..<200 { more.publish("solo", "pkg", "1.\(round).0") }
        let single = try clock.measure {
            for event in more.events { _ = try store.append([event], verification: .chain) }
        }
        let batchedRate = Double(events.count) / (Double(batched.components.attoseconds) / 1e18 + Double(batched.components.seconds))
        let singleRate = Double(more.events.count) / (Double(single.components.attoseconds) / 1e18 + Double(single.components.seconds))
        print("append: \(Int(batchedRate)) events/s batched (2,000 per txn, chain-verified), \(Int(singleRate)) events/s one per txn")
        let chain = try store.verify(deep: false)
        let deep = try store.verify(deep: true)
        #expect(chain.ok && deep.ok && chain.events == events.count + more.events.count)
        for report in [chain, deep] {
            let seconds = Double(report.duration.components.seconds) + Double(report.duration.components.attoseconds) / 1e18
            print("verify(deep: \(report.deep)): \(report.events) events, \(report.signaturesChecked) signatures, \(Int(Double(report.events) / seconds)) events/s")
        }
    }
}

extension [AppendOutcome] {
    var description: String { map { "\($0)" }.joined(separator: ", ") }
}
