import AgoraCore
import Testing
import AgoraStore
import AgoraTestSupport
@testable import AgoraViews

@Suite struct PeerScoreTests {
    let peerA: [UInt8] = [0x00, 0x24, 1, 2, 3]
    let peerB: [UInt8] = [0x00, 0x24, 9, 9, 9]

    func observations() -> [Event] {
        var node = FeedBuilder(seed: 1)
        var other = FeedBuilder(seed: 2)
        let digest = [UInt8](repeating: 5, count: 32)
        node.append(.retrievalObserved(RetrievalObserved(peer: peerA, digest: digest, outcome: .success, bytes: 1000, latencyMicros: 200)))
        node.append(.retrievalObserved(RetrievalObserved(peer: peerA, digest: digest, outcome: .success, bytes: 3000, latencyMicros: 400)))
        other.append(.retrievalObserved(RetrievalObserved(peer: peerA, digest: digest, outcome: .timeout, bytes: 0, latencyMicros: 0)))
        other.append(.retrievalObserved(RetrievalObserved(peer: peerB, digest: digest, outcome: .digestMismatch, bytes: 10, latencyMicros: 5)))
        other.append(.peerPenalised(PeerPenalised(peer: peerB, reason: "bad digest", evidence: digest)))
        node.publish("acme", "json", "1.0.0")
        return node.events + other.events
    }

    /// Each reporter's events make its own record: what `other` saw of peer A does not enter
    /// `node`'s score of A.
    @Test func foldsEachReportersCountsApart() throws {
        let events = observations()
        let node = events[0].author.bytes
        let other = try #require(events.last?.author.bytes)
        let scores = PeerScoreFold.fold(events: events)
        #expect(scores.count == 3)
        #expect(scores.map(\.key) == scores.map(\.key).sorted { $0.lexicographicallyPrecedes($1) })
        let a = try #require(scores.first { $0.reporter == node && $0.peer == peerA })
        #expect(a.successes == 2 && a.timeouts == 0)
        #expect(a.bytesServed == 4000)
        #expect(a.meanLatencyMicros == 300)
        #expect(a.successRate == 1)
        let aSeenByOther = try #require(scores.first { $0.reporter == other && $0.peer == peerA })
        #expect(aSeenByOther.successes == 0 && aSeenByOther.timeouts == 1)
        let b = try #require(scores.first { $0.reporter == other && $0.peer == peerB })
        #expect(b.penalties == 1)
        #expect(b.digestMismatches == 1)
        #expect(b.meanLatencyMicros == nil)
        #expect(b.score(at: 0) < aSeenByOther.score(at: 0) && aSeenByOther.score(at: 0) < a.score(at: 0))
        #expect(!scores.contains { $0.reporter == node && $0.peer == peerB })
        #expect(PeerScore(peer: peerA, reporter: node).score(at: 0) == 0.5)
        for score in scores { #expect(try PeerScore(decoding: score.encoded()) == score) }
    }

    @Test func foldIsIndependentOfOrderAndDuplicates() {
        let events = observations()
        let reference = PeerScoreFold.fold(events: events).map { $0.encoded() }
        var rng = SeededGenerator(seed: 3)
        for _ in 0..<50 {
            let shuffled = events.shuffled(using: &rng)
            #expect(PeerScoreFold.fold(events: shuffled + shuffled.prefix(2)).map { $0.encoded() } == reference)
        }
    }

    /// Observations spread over more periods than are kept: any order, with repeats, keeps the
    /// same newest periods with the same sums, equal to a fold that first groups the events
    /// by period and keeps the newest `keptPeriods` whole.
    @Test(arguments: [11, 12, 13] as [UInt64]) func keptPeriodsAreIndependentOfOrder(seed: UInt64) throws {
        var rng = SeededGenerator(seed: seed)
        var feed = FeedBuilder(seed: UInt8(seed))
        let digest = [UInt8](repeating: 5, count: 32)
        let outcomes: [RetrievalObserved.Outcome] = [.success, .digestMismatch, .timeout, .refused, .other]
        for _ in 0..<300 {
            let period = UInt64.random(in: 0..<30, using: &rng)
            let time = period * PeerScore.periodMillis + UInt64.random(in: 0..<PeerScore.periodMillis, using: &rng)
            if Int.random(in: 0..<6, using: &rng) == 0 {
                feed.append(.peerPenalised(PeerPenalised(peer: peerA, reason: "x", evidence: digest)), timestamp: time)
            } else {
                let outcome = outcomes.randomElement(using: &rng)!
                let bytes = UInt64.random(in: 0...(1 << 40), using: &rng)
                feed.append(.retrievalObserved(RetrievalObserved(
                    peer: peerA, digest: digest, outcome: outcome, bytes: bytes, latencyMicros: UInt64.random(in: 0...9_999, using: &rng))),
                    timestamp: time)
            }
        }
        let reference = try #require(PeerScoreFold.fold(events: feed.events).first)
        let newest = Set(feed.events.map { $0.timestamp / PeerScore.periodMillis }).sorted().suffix(PeerScore.keptPeriods)
        #expect(reference.periods.map(\.index) == Array(newest))
        let kept = feed.events.filter { newest.contains($0.timestamp / PeerScore.periodMillis) }
        #expect(reference.successes == UInt64(kept.filter { if case .retrievalObserved(let o)? = try? $0.decodedBody() { o.outcome == .success } else { false } }.count))
        #expect(reference.penalties == UInt64(kept.filter { $0.kind == .peerPenalised }.count))
        for _ in 0..<20 {
            let shuffled = feed.events.shuffled(using: &rng)
            let folded = PeerScoreFold.fold(events: shuffled + shuffled.prefix(5))
            #expect(folded.map { $0.encoded() } == [reference.encoded()])
            var incremental = PeerScore(peer: peerA, reporter: feed.key.bytes)
            for event in shuffled { incremental.apply(try event.decodedBody(), at: event.timestamp) }
            #expect(incremental == reference, "applying one event at a time keeps the same periods")
        }
        #expect(try PeerScore(decoding: reference.encoded()) == reference)
    }

    /// An offence weighs less as its period ages: the score rises back towards the record
    /// without it, never above, and not at all while the period is current.
    @Test func offencesFadeWithTheirPeriod() {
        var feed = FeedBuilder(seed: 9)
        let digest = [UInt8](repeating: 5, count: 32)
        let start = 1_000 * PeerScore.periodMillis
        feed.append(.retrievalObserved(RetrievalObserved(peer: peerA, digest: digest, outcome: .digestMismatch, bytes: 1, latencyMicros: 1)), timestamp: start)
        feed.append(.peerPenalised(PeerPenalised(peer: peerA, reason: "bad digest", evidence: digest)), timestamp: start + 1)
        let score = PeerScoreFold.fold(events: feed.events)[0]
        let periodEnd = start + PeerScore.periodMillis
        #expect(score.score(at: start) == score.score(at: periodEnd), "no fading inside the period")
        #expect(abs(score.score(at: start) - 1.0 / 12) < 1e-9, "1/3 for one failure, halved twice")
        var previous = score.score(at: periodEnd)
        for hours in stride(from: 1 as UInt64, through: 96, by: 1) {
            let value = score.score(at: periodEnd + hours * 3_600_000)
            #expect(value > previous && value < 0.5)
            previous = value
        }
        #expect(previous > 0.49, "four days later the offence is all but forgotten")
    }

    @Test func badRecordsAreRejected() throws {
        #expect(throws: ViewDecodeError.self) { try PeerScore(decoding: [UInt8](repeating: 0, count: 300)) }
        #expect(throws: ViewDecodeError.self) { try PeerScore(decoding: [0x10, 0x01]) }
        var score = PeerScore(peer: peerA, reporter: [UInt8](repeating: 3, count: 32))
        let digest = [UInt8](repeating: 5, count: 32)
        for period in 0..<UInt64(PeerScore.keptPeriods) {
            score.apply(.peerPenalised(PeerPenalised(peer: peerA, reason: "x", evidence: digest)), at: (period + 1) * PeerScore.periodMillis)
        }
        let valid = score.encoded()
        #expect(try PeerScore(decoding: valid) == score)
        // Seeded mutations of a valid record: each either decodes to a well-formed record or is
        // refused with a ViewDecodeError; nothing traps.
        var rng = SeededGenerator(seed: 77)
        for _ in 0..<5_000 {
            var bytes = valid
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                switch Int.random(in: 0..<3, using: &rng) {
                case 0: bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
                case 1: bytes.insert(UInt8.random(in: 0...255, using: &rng), at: Int.random(in: 0...bytes.count, using: &rng))
                default: if bytes.count > 1 { bytes.remove(at: Int.random(in: 0..<bytes.count, using: &rng)) }
                }
            }
            if let decoded = try? PeerScore(decoding: bytes) {
                #expect(decoded.periods.count <= PeerScore.keptPeriods)
                #expect(zip(decoded.periods, decoded.periods.dropFirst()).allSatisfy { $0.index < $1.index })
            }
        }
    }
}
