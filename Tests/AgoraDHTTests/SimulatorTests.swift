import AgoraDHT
import AgoraTestSupport
import Testing

/// The simulator runs the real machines for 1,000 nodes; these check what the DHT promises at
/// that size (and that the simulator repeats itself). Debug builds run the machines slowly, so
/// the 1,000-node tables are filled directly and only the churned-in nodes join by protocol;
/// joining by protocol is covered at 200 nodes.
@Suite struct SimulatorTests {
    /// Mean share of the true 20 closest online honest nodes each lookup returned, and the
    /// share of lookups that found the single closest one.
    func convergence(_ simulation: DHTSimulation, _ records: [DHTSimulation.LookupRecord]) -> (overlap: Double, closestFound: Double) {
        var overlap = 0.0
        var closest = 0.0
        for record in records {
            let truth = simulation.trueClosest(to: record.target, count: 20)
            overlap += Double(Set(truth).intersection(record.results).count) / Double(truth.count)
            if record.results.contains(truth[0]) { closest += 1 }
        }
        return (overlap / Double(records.count), closest / Double(records.count))
    }

    @Test func lookupsConvergeToTheTrueClosestAtAThousandNodes() {
        var simulation = DHTSimulation(.init(nodeCount: 1000, seed: 42))
        simulation.fillTables()
        let records = simulation.measureLookups(count: 50)
        #expect(records.count == 50)
        let (overlap, closest) = convergence(simulation, records)
        #expect(overlap >= 0.98, "mean overlap with the true 20 closest: \(overlap)")
        #expect(closest >= 0.99)
    }

    @Test func lookupsConvergeUnderTenPercentChurn() {
        var simulation = DHTSimulation(.init(nodeCount: 1000, seed: 43, refreshBucketsOnJoin: 2))
        simulation.fillTables()
        simulation.churn(fraction: 0.1)
        let records = simulation.measureLookups(count: 50)
        #expect(records.count == 50)
        let (overlap, closest) = convergence(simulation, records)
        #expect(overlap >= 0.95, "mean overlap with the true 20 closest online: \(overlap)")
        #expect(closest >= 0.97)
        // Departed nodes were queried, timed out, and are not in any result.
        #expect(records.allSatisfy { $0.results.allSatisfy(simulation.isOnline) })
    }

    @Test func providersAreFoundAfterChurn() {
        var simulation = DHTSimulation(.init(nodeCount: 1000, seed: 44, refreshBucketsOnJoin: 2))
        simulation.fillTables()
        var random = SeededGenerator(seed: 1)
        let keys = (0..<50).map { _ in DHTKey.random(using: &random) }
        let providers = simulation.announce(keys)
        simulation.churn(fraction: 0.1, keep: Set(providers))
        let records = simulation.findProviders(keys)
        let found = zip(records, providers).filter { $0.providers.contains($1) }.count
        #expect(found >= 49, "\(found) of 50 keys found their provider")
    }

    @Test func aLyingMinorityDoesNotStopLookups() {
        var simulation = DHTSimulation(.init(nodeCount: 1000, seed: 45, adversaryFraction: 0.1, adversary: .lie))
        simulation.fillTables()
        let records = simulation.measureLookups(count: 50)
        let (overlap, closest) = convergence(simulation, records)
        #expect(overlap >= 0.85, "mean overlap with the true 20 closest honest nodes: \(overlap)")
        #expect(closest >= 0.95)
    }

    @Test func anEclipsedKeyIsModelled() {
        var random = SeededGenerator(seed: 2)
        let victim = DHTKey.random(using: &random)
        var simulation = DHTSimulation(.init(nodeCount: 400, seed: 46, adversaryFraction: 0.1, adversary: .eclipse(key: victim, prefixBits: 12)))
        simulation.fillTables()
        let providers = simulation.announce([victim])
        let records = simulation.findProviders([victim, victim, victim])
        // Forty sybils sit closer to the key than any honest node: the record never lands.
        #expect(records.allSatisfy { !$0.providers.contains(providers[0]) })
    }

    @Test func theSameSeedGivesTheSameRun() {
        func run(seed: UInt64) -> [String] {
            var simulation = DHTSimulation(.init(nodeCount: 200, seed: seed, latency: .regions, loss: 0.02, refreshBucketsOnJoin: 3))
            simulation.bootstrap()
            simulation.churn(fraction: 0.1)
            return simulation.measureLookups(count: 20).map { "\($0.latencyMicroseconds)/\($0.hops)/\($0.requests)/\($0.results)" }
                + ["\(simulation.messagesDelivered)"]
        }
        let first = run(seed: 7)
        #expect(first == run(seed: 7))
        #expect(first != run(seed: 8))
    }
}
