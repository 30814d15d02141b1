import AgoraCore
import AgoraMigrations
import AgoraStore
import AgoraTestSupport
import AgoraViews
import AgoraWire
import Foundation
import Testing
@testable import AgoraNode

/// The pure rules behind reputation: the write buffer's bounds, provider ranking, and which
/// pairs of events prove equivocation.
@Suite struct ReputationRulesTests {
    static let peers = (0..<12).map { _ in PeerID(identity: Identity.generate()) }

    /// Streams of observations (a few loud subjects, many quiet ones, bursts and pauses) never
    /// get past the window, per-subject and capacity bounds, and nothing is lost unaccounted.
    @Test(arguments: [1, 2, 3, 4, 5] as [UInt64]) func bufferBoundsHoldForGeneratedStreams(seed: UInt64) {
        var rng = SeededGenerator(seed: seed)
        let limits = ReputationBuffer.Limits(window: .seconds(2), perWindow: 40, perSubjectPerWindow: 5, capacity: 60)
        var buffer = ReputationBuffer(limits: limits)
        let start = ContinuousClock.now
        var now = start
        var offered = 0, taken = 0
        // A window opens with the first observation after the previous one closed.
        var window: (start: ContinuousClock.Instant?, admitted: Int, perSubject: [[UInt8]: Int]) = (nil, 0, [:])
        for _ in 0..<2000 {
            now += .milliseconds(Int.random(in: 0...(Bool.random(using: &rng) ? 5 : 400), using: &rng))
            let subject: [UInt8] = Int.random(in: 0..<4, using: &rng) == 0 ? [UInt8.random(in: 0...255, using: &rng), 1] : [7]
            if window.start.map({ now >= $0 + limits.window }) ?? true { window = (now, 0, [:]) }
            offered += 1
            let body = EventBody.peerPenalised(PeerPenalised(peer: subject, reason: "x", evidence: []))
            if buffer.add(body, subject: subject, now: now) {
                window.admitted += 1
                window.perSubject[subject, default: 0] += 1
            }
            #expect(window.admitted <= limits.perWindow)
            #expect(window.perSubject.values.allSatisfy { $0 <= limits.perSubjectPerWindow })
            #expect(buffer.pending.count <= limits.capacity)
            if Int.random(in: 0..<50, using: &rng) == 0 { taken += buffer.take().count }
        }
        taken += buffer.take().count
        #expect(taken + buffer.dropped == offered)
        #expect(buffer.dropped > 0, "the loud subject was held back")
    }

    /// Ranking: cut-off peers never, avoided ones only when nobody usable is left, usable ones
    /// by score tenths, then RTT (unmeasured last), then peer ID. Checked against the rule
    /// written out pairwise, over generated candidate sets.
    @Test func rankingFollowsScoreThenRoundTrip() {
        var rng = SeededGenerator(seed: 42)
        for _ in 0..<300 {
            let count = Int.random(in: 0...Self.peers.count, using: &rng)
            let candidates = Self.peers.shuffled(using: &rng).prefix(count).map { peer in
                PeerSelection.Candidate(peer: peer, score: Self.randomScore(peer, using: &rng), rtt: Self.randomRTT(using: &rng))
            }
            let ranked = PeerSelection.rank(candidates, now: Self.now)
            let standing = Dictionary(uniqueKeysWithValues: candidates.map { ($0.peer, PeerStanding($0.score, now: Self.now)) })
            #expect(!ranked.contains { standing[$0] == .cutOff })
            let anyUsable = candidates.contains { standing[$0.peer] == .usable }
            let expected = Set(candidates.filter { standing[$0.peer] == (anyUsable ? .usable : .avoided) }.map(\.peer))
            #expect(Set(ranked) == expected && ranked.count == expected.count)
            let byPeer = Dictionary(uniqueKeysWithValues: candidates.map { ($0.peer, $0) })
            for (a, b) in zip(ranked, ranked.dropFirst()) {
                let (x, y) = (byPeer[a]!, byPeer[b]!)
                let (tx, ty) = (Int((x.score?.score(at: Self.now) ?? 0.5) * 10), Int((y.score?.score(at: Self.now) ?? 0.5) * 10))
                #expect(tx >= ty)
                if tx == ty, let ry = y.rtt { #expect(x.rtt.map { $0 <= ry } ?? false) }
            }
        }
    }

    /// A moment some days into 2026, in milliseconds.
    static let now: UInt64 = 1_780_000_000_000

    /// A score from observations made at `time`: `successes` successes, `timeouts` timeouts,
    /// `mismatches` bad digests and `penalties` penalties.
    static func record(
        _ peer: [UInt8], successes: Int = 0, timeouts: Int = 0, mismatches: Int = 0, penalties: Int = 0, at time: UInt64 = now
    ) -> PeerScore {
        var score = PeerScore(peer: peer, reporter: [UInt8](repeating: 1, count: 32))
        func observe(_ outcome: RetrievalObserved.Outcome, _ count: Int) {
            for _ in 0..<count {
                score.apply(.retrievalObserved(RetrievalObserved(peer: peer, digest: [], outcome: outcome, bytes: 1, latencyMicros: 1)), at: time)
            }
        }
        observe(.success, successes)
        observe(.timeout, timeouts)
        observe(.digestMismatch, mismatches)
        for _ in 0..<penalties { score.apply(.peerPenalised(PeerPenalised(peer: peer, reason: "x", evidence: [])), at: time) }
        return score
    }

    @Test func standingThresholds() {
        let peer: [UInt8] = [1]
        #expect(PeerStanding(nil, now: Self.now) == .usable && PeerStanding(PeerScore(peer: peer, reporter: [1]), now: Self.now) == .usable)
        #expect(PeerStanding(Self.record(peer, timeouts: 9), now: Self.now) == .avoided,
                "slow or absent, but never proven bad: avoided, not cut off")
        #expect(PeerStanding(Self.record(peer, mismatches: 1, penalties: 1), now: Self.now) == .cutOff)
        #expect(PeerStanding(Self.record(peer, successes: 200, mismatches: 1, penalties: 1), now: Self.now) == .avoided,
                "a long good record keeps it connected, but behind others")
        #expect(PeerStanding(Self.record(peer, successes: 200, penalties: 1), now: Self.now) == .usable, "one penalty halves a good record")
    }

    /// Standing recovers as reports age: a peer caught sending one corrupt chunk is cut off for
    /// a few hours, avoided for the rest of the day, usable after; a slow peer is avoided only
    /// while its timeouts are recent. Standings only ever improve as time passes.
    @Test func standingRecoversWithTime() {
        let hour: UInt64 = 3_600_000
        let liar = Self.record([2], mismatches: 1, penalties: 1)
        let slow = Self.record([3], timeouts: 9)
        let periodEnd = (Self.now / PeerScore.periodMillis + 1) * PeerScore.periodMillis
        let rank: [PeerStanding: Int] = [.cutOff: 0, .avoided: 1, .usable: 2]
        var previous = (liar: PeerStanding.cutOff, slow: PeerStanding.avoided)
        var seen: Set<PeerStanding> = []
        for hours in 0...72 as ClosedRange<UInt64> {
            let at = periodEnd + hours * hour
            let standing = (liar: PeerStanding(liar, now: at), slow: PeerStanding(slow, now: at))
            #expect(rank[standing.liar]! >= rank[previous.liar]! && rank[standing.slow]! >= rank[previous.slow]!)
            #expect(standing.slow != .cutOff, "timeouts never cut a peer off")
            seen.insert(standing.liar)
            previous = standing
        }
        #expect(seen == [.cutOff, .avoided, .usable])
        #expect(PeerStanding(liar, now: periodEnd + hour) == .cutOff)
        #expect(PeerStanding(liar, now: periodEnd + 8 * hour) == .avoided)
        #expect(PeerStanding(liar, now: periodEnd + 24 * hour) == .usable)
        #expect(PeerStanding(slow, now: periodEnd + 48 * hour) == .usable)
    }

    static func randomScore(_ peer: PeerID, using rng: inout SeededGenerator) -> PeerScore? {
        guard Bool.random(using: &rng) else { return nil }
        return record(
            peer.bytes, successes: Int.random(in: 0...20, using: &rng), timeouts: Int.random(in: 0...10, using: &rng),
            penalties: Int.random(in: 0..<4, using: &rng) == 0 ? 1 : 0,
            at: now - UInt64.random(in: 0...(3 * 24 * 3_600_000), using: &rng))
    }

    static func randomRTT(using rng: inout SeededGenerator) -> Duration? {
        Bool.random(using: &rng) ? .microseconds(Int64.random(in: 50...5000, using: &rng)) : nil
    }

    /// Only two validly signed events of one author at one seq prove a fork; every other
    /// pairing, and every tampered byte, proves nothing.
    @Test func onlyRealForksMakeReports() throws {
        var rng = SeededGenerator(seed: 7)
        var feed = FeedBuilder(seed: 31)
        feed.publish("acme", "one", "1.0.0")
        var fork = feed
        let original = feed.publish("acme", "two", "1.0.0")
        let conflicting = fork.publish("acme", "two", "1.0.0", digestByte: 9)
        let next = feed.publish("acme", "three", "1.0.0")
        var stranger = FeedBuilder(seed: 32)
        stranger.publish("acme", "one", "1.0.0")
        let strangerTwo = stranger.publish("acme", "two", "1.0.0")

        let report = try #require(EquivocationReport(original, conflicting))
        #expect(report == EquivocationReport(conflicting, original), "either order signs one body")
        #expect(report.proof?.author == feed.key && report.proof?.seq == 2)
        #expect(EquivocationReport(original, original) == nil)
        #expect(EquivocationReport(original, next) == nil, "different positions")
        #expect(EquivocationReport(original, strangerTwo) == nil, "different authors")
        // The encoded body round-trips through the event kind.
        let body = EventBody.equivocationReported(report)
        #expect(try EventBody(kind: body.kindCode, bytes: body.encoded()) == body)

        var swapped = report
        swap(&swapped.first, &swapped.second)
        #expect(swapped.proof == nil, "the order is part of the canonical body")
        for _ in 0..<200 {
            var tampered = report
            let second = Bool.random(using: &rng)
            var bytes = second ? tampered.second : tampered.first
            bytes[Int.random(in: 0..<bytes.count, using: &rng)] ^= UInt8.random(in: 1...255, using: &rng)
            if second { tampered.second = bytes } else { tampered.first = bytes }
            #expect(tampered.proof == nil)
        }
    }

    /// The node's own feed continues across writers: `appendSigned` reads the head inside its
    /// transaction, so events appended by other means in between are built on, never forked.
    @Test func appendSignedContinuesTheFeedWhoeverWroteLast() throws {
        let directory = try TemporaryDirectory()
        let store = try Store(home: directory.url, migrations: AgoraMigrations.all, views: RegistryViews())
        let key = try Identity(seed: [UInt8](repeating: 3, count: 32))
        var outside = FeedBuilder(seed: 3)
        let peer = PeerID(identity: Identity.generate())
        let first = try store.appendSigned([.peerPenalised(PeerPenalised(peer: peer.bytes, reason: "a", evidence: []))], by: key, timestamp: 1)
        #expect(first.map(\.seq) == [1])
        // Another process signed seq 2 with the same key.
        outside.append(first[0].decodedBodyForTest)
        let second = outside.append(.retrievalObserved(RetrievalObserved(peer: peer.bytes, digest: [1], outcome: .success, bytes: 5, latencyMicros: 9)))
        #expect(try store.append([second], verification: .chain) == [.appended(localSeq: 2)])
        let more = try store.appendSigned(
            (0..<3).map { _ in .retrievalObserved(RetrievalObserved(peer: peer.bytes, digest: [1], outcome: .timeout, bytes: 0, latencyMicros: 0)) },
            by: key, timestamp: 2)
        #expect(more.map(\.seq) == [3, 4, 5])
        #expect(more.first?.prev == second.id)
        #expect(try store.equivocations().isEmpty)
        let score = try #require(try store.peerScore(of: peer.bytes, reportedBy: key.publicKey))
        #expect(score.penalties == 1 && score.successes == 1 && score.timeouts == 3)
    }
}

private extension Event {
    var decodedBodyForTest: EventBody { (try? decodedBody()) ?? .unknown(kind: 99, bytes: []) }
}
