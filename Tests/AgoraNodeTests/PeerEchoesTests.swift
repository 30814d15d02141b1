import AgoraCore
import AgoraTestSupport
import AgoraWire
import Testing
@testable import AgoraNode

/// The table of what each peer sent, which sync leaves out of the changes it serves that peer.
@Suite struct PeerEchoesTests {
    /// Seeded runs against a model (a set of local seqs per peer): a peer is only ever told
    /// of its own appends, each query returns exactly the model's seqs in the window, and
    /// asking from `after` forgets what lies before it.
    @Test func answersEachPeerWithItsOwnAppends() {
        let peers = (0..<3).map { _ in PeerID(identity: .generate()) }
        for seed in UInt64(0)..<20 {
            var random = SeededGenerator(seed: seed)
            var echoes = PeerEchoes()
            var model: [PeerID: Set<UInt64>] = [:]
            var floor: [PeerID: UInt64] = [:]
            var next: UInt64 = 1
            for _ in 0..<200 {
                let peer = peers[Int.random(in: 0..<peers.count, using: &random)]
                if Bool.random(using: &random) {
                    // One commit from `peer`: consecutive local seqs, after others' commits.
                    next += UInt64.random(in: 0...3, using: &random)
                    let seqs = Array(next..<(next + UInt64.random(in: 1...5, using: &random)))
                    next = seqs.last! + 1
                    echoes.record(seqs, from: peer)
                    model[peer, default: []].formUnion(seqs)
                } else {
                    let after = max(floor[peer] ?? 0, UInt64.random(in: 0...next, using: &random))
                    let upTo = after + UInt64.random(in: 0...40, using: &random)
                    let got = echoes.echoes(of: peer, after: after, upTo: upTo).flatMap { Array($0) }
                    let expected = (model[peer] ?? []).filter { $0 > after && $0 <= upTo }.sorted()
                    #expect(got == expected, "seed \(seed), after \(after), up to \(upTo)")
                    floor[peer] = after
                    model[peer] = model[peer]?.filter { $0 > after }
                }
            }
        }
    }

    @Test func isBoundedAndForgetsADisconnectedPeer() {
        var echoes = PeerEchoes()
        let peer = PeerID(identity: .generate())
        // Every other seq: each its own range, so the oldest go beyond the bound.
        let count = PeerEchoes.maxRangesPerPeer + 100
        for index in 0..<count { echoes.record([UInt64(2 * index + 1)], from: peer) }
        let kept = echoes.echoes(of: peer, after: 0, upTo: .max)
        #expect(kept.count == PeerEchoes.maxRangesPerPeer)
        #expect(kept.first == 201...201 && kept.last == UInt64(2 * count - 1)...UInt64(2 * count - 1))

        let others = (0..<PeerEchoes.maxPeers).map { _ in PeerID(identity: .generate()) }
        for (index, other) in others.enumerated() { echoes.record([UInt64(10_000 + index)], from: other) }
        #expect(echoes.echoes(of: others.last!, after: 0, upTo: .max).isEmpty, "a peer beyond the bound is not recorded")
        #expect(echoes.echoes(of: others[0], after: 0, upTo: .max) == [10_000...10_000])
        echoes.forget(peer)
        #expect(echoes.echoes(of: peer, after: 0, upTo: .max).isEmpty)
        echoes.record([20_000], from: others.last!)
        #expect(echoes.echoes(of: others.last!, after: 0, upTo: .max) == [20_000...20_000], "room again once a peer is forgotten")
    }
}
