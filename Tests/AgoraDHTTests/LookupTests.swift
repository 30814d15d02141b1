import AgoraTestSupport
import Testing
@testable import AgoraDHT

/// Drives `Lookup` against a seeded population of 300 peers, each with a real routing table
/// holding what it would know (all of its near neighbourhood, k peers of each far bucket).
@Suite struct LookupTests {
    struct Population {
        var keys: [DHTKey]
        /// What each peer knows: its table, as a real node's would be.
        var tables: [RoutingTable<Int>]

        init(size: Int, random: inout SeededGenerator) {
            keys = (0..<size).map { _ in DHTKey.random(using: &random) }
            tables = keys.map { RoutingTable<Int>(localKey: $0) }
            for peer in 0..<size {
                for other in 0..<size where other != peer {
                    _ = tables[peer].peerResponded(other, key: keys[other], now: .zero)
                }
            }
        }

        func trueClosest(to target: DHTKey, count: Int, among alive: (Int) -> Bool = { _ in true }) -> [Int] {
            Array(keys.indices.filter(alive).sorted { keys[$0].distance(to: target) < keys[$1].distance(to: target) }.prefix(count))
        }
    }

    /// Runs one lookup to the end, answering requests oldest first, 40 ms apart. Peers for which
    /// `fails` is true never answer (they time out); the others have noticed and leave them out
    /// of their answers, while the origin's own table still lists them.
    func run(
        _ population: Population, from origin: Int, target: DHTKey, configuration: LookupConfiguration,
        fails: (Int) -> Bool
    ) -> (lookup: Lookup<Int>, maxInFlight: Int, steps: Int) {
        let seeds = population.tables[origin].closest(to: target, count: configuration.resultCount).map { ($0.peer, $0.key) }
        var lookup = Lookup(target: target, seeds: seeds, configuration: configuration)
        var inFlight: [Int] = []
        var now = Duration.zero
        var maxInFlight = 0
        var steps = 0
        while steps < 10_000 {
            steps += 1
            switch lookup.next(now: now) {
            case .query(let peer):
                inFlight.append(peer)
                maxInFlight = max(maxInFlight, lookup.outstanding)
                continue
            case .finished:
                return (lookup, maxInFlight, steps)
            case .waiting:
                break
            }
            // Answer one outstanding request, in seeded order, or let time pass.
            if let peer = inFlight.first(where: { !fails($0) }) {
                inFlight.removeAll { $0 == peer }
                now += .milliseconds(40)
                let closer = population.tables[peer].closest(to: target, count: 40).filter { !fails($0.peer) }.prefix(20).map { ($0.peer, $0.key) }
                lookup.succeeded(peer, closer: closer, now: now)
            } else {
                now += configuration.requestTimeout
                let expired = lookup.expire(now: now)
                inFlight.removeAll { expired.contains($0) }
            }
        }
        Issue.record("lookup did not terminate")
        return (lookup, maxInFlight, steps)
    }

    @Test(arguments: [1, 2, 3, 4] as [UInt64]) func findsTheTrueClosestAndTerminates(seed: UInt64) {
        var random = SeededGenerator(seed: seed)
        let population = Population(size: 300, random: &random)
        for _ in 0..<10 {
            let target = DHTKey.random(using: &random)
            let origin = Int.random(in: 0..<300, using: &random)
            let (lookup, maxInFlight, _) = run(population, from: origin, target: target, configuration: .init(), fails: { _ in false })
            #expect(lookup.finished)
            #expect(lookup.results.map(\.peer) == population.trueClosest(to: target, count: 20))
            #expect(maxInFlight <= 20)
            #expect(lookup.requestsSent <= 300)
        }
    }

    @Test(arguments: [5, 6] as [UInt64]) func unresponsivePeersTimeOutAndAreLeftOut(seed: UInt64) {
        var random = SeededGenerator(seed: seed)
        let population = Population(size: 300, random: &random)
        let dead = Set((0..<300).filter { _ in Int.random(in: 0..<4, using: &random) == 0 })
        for _ in 0..<10 {
            let target = DHTKey.random(using: &random)
            let origin = (0..<300).first { !dead.contains($0) }!
            let (lookup, _, _) = run(population, from: origin, target: target, configuration: .init(requestTimeout: .seconds(1)), fails: dead.contains)
            #expect(lookup.finished)
            #expect(lookup.results.allSatisfy { !dead.contains($0.peer) })
            let truth = population.trueClosest(to: target, count: 20, among: { !dead.contains($0) })
            #expect(lookup.results.map(\.peer) == truth)
        }
    }

    @Test func parallelismIsAlphaUntilStalled() {
        var random = SeededGenerator(seed: 8)
        let target = DHTKey.random(using: &random)
        let seeds = (0..<10).map { ($0, DHTKey.random(using: &random)) }
        var lookup = Lookup(target: target, seeds: seeds, configuration: .init(alpha: 3, resultCount: 5, beta: 5))
        var queried: [Int] = []
        while case .query(let peer) = lookup.next(now: .zero) { queried.append(peer) }
        #expect(queried.count == 3)
        // An answer with nothing closer stalls the lookup: up to k requests may be out.
        lookup.succeeded(queried[0], closer: [], now: .milliseconds(1))
        var more = 0
        while case .query = lookup.next(now: .milliseconds(1)) { more += 1 }
        #expect(lookup.outstanding == 5)
        #expect(more == 3)
    }

    @Test func anEmptyLookupFinishesAtOnceAndLateAnswersAreIgnored() {
        var empty = Lookup<Int>(target: .zero, seeds: [])
        #expect(empty.next(now: .zero) == .finished)
        var random = SeededGenerator(seed: 2)
        var lookup = Lookup(target: .zero, seeds: [(1, DHTKey.random(using: &random))], configuration: .init(requestTimeout: .seconds(1)))
        #expect(lookup.next(now: .zero) == .query(1))
        #expect(lookup.nextDeadline == .seconds(1))
        #expect(lookup.next(now: .seconds(2)) == .finished)
        lookup.succeeded(1, closer: [(2, .random(using: &random))], now: .seconds(3))
        #expect(lookup.results.isEmpty)
        // Answers from peers never asked do not count.
        var other = Lookup(target: .zero, seeds: [(1, DHTKey.random(using: &random))])
        other.succeeded(9, closer: [], now: .zero)
        #expect(other.answers == 0)
    }

    @Test func candidatesAreBounded() {
        var random = SeededGenerator(seed: 4)
        var lookup = Lookup(target: .zero, seeds: [(0, DHTKey.random(using: &random))], configuration: .init(maxCandidates: 50))
        #expect(lookup.next(now: .zero) == .query(0))
        for round in 0..<20 {
            let flood = (0..<64).map { (1 + round * 64 + $0, DHTKey.random(using: &random)) }
            lookup.succeeded(0, closer: flood, now: .zero)
        }
        var queried = 0
        while case .query(let peer) = lookup.next(now: .zero) {
            queried += 1
            lookup.failed(peer)
        }
        #expect(queried <= 50)
    }
}
