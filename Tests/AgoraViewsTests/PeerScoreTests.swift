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
        #expect(b.score < aSeenByOther.score && aSeenByOther.score < a.score)
        #expect(!scores.contains { $0.reporter == node && $0.peer == peerB })
        #expect(PeerScore(peer: peerA, reporter: node).score == 0.5)
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
