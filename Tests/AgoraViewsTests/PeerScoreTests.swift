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

    @Test func foldsCountsAndDerivedScores() throws {
        let scores = PeerScoreFold.fold(events: observations())
        #expect(scores.map(\.peer) == [peerA, peerB])
        let a = scores[0]
        #expect(a.successes == 2)
        #expect(a.timeouts == 1)
        #expect(a.bytesServed == 4000)
        #expect(a.meanLatencyMicros == 300)
        #expect(abs(a.successRate - 2.0 / 3.0) < 1e-9)
        let b = scores[1]
        #expect(b.penalties == 1)
        #expect(b.digestMismatches == 1)
        #expect(b.meanLatencyMicros == nil)
        #expect(b.score < a.score)
        #expect(PeerScore(peer: peerA).score == 0.5)
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

    @Test func badRecordsAreRejected() {
        #expect(throws: ViewDecodeError.self) { try PeerScore(decoding: [UInt8](repeating: 0, count: 300)) }
        #expect(throws: ViewDecodeError.self) { try PeerScore(decoding: [0x10, 0x01]) }
    }
}
