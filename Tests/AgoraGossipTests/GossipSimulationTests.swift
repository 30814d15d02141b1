import AgoraGossip
import AgoraTestSupport
import Testing

/// The gossip simulator runs the real routers: meshes must form within gossipsub's bounds,
/// every honest node must get every message (also past silent peers and churn), and a seed
/// must replay exactly.
@Suite struct GossipSimulationTests {
    static let topic = GossipSimulation.topic

    @Test func sameSeedGivesTheSameRun() throws {
        func run() throws -> [[Int64]] {
            var simulation = try GossipSimulation(.init(nodeCount: 60, seed: 5, latency: .regions))
            simulation.start(warmUpSeconds: 5)
            return try simulation.measure(messages: 4, settleSeconds: 3).map(\.delays)
        }
        let first = try run()
        #expect(first == (try run()))
        #expect(first.allSatisfy { $0.count == 59 })
    }

    @Test(arguments: [UInt64(1), 2])
    func meshesFormAndEveryMessageReachesEveryone(seed: UInt64) throws {
        var simulation = try GossipSimulation(.init(nodeCount: 200, seed: seed))
        simulation.start()
        let bounds = GossipConfiguration()
        for node in 0..<Int32(simulation.nodeCount) {
            let mesh = simulation.router(node).meshPeers(Self.topic).count
            #expect(mesh >= bounds.dLow && mesh <= bounds.dHigh, "node \(node) mesh \(mesh)")
        }
        let records = try simulation.measure(messages: 10)
        for record in records {
            #expect(record.deliveryRate == 1)
            // Nobody can have it sooner than one 20 ms link plus one validation.
            #expect((record.delays.first ?? 0) >= 21_000)
        }
    }

    @Test func silentPeersDoNotStopDelivery() throws {
        var simulation = try GossipSimulation(.init(nodeCount: 200, seed: 3, adversaryFraction: 0.2, adversary: .silent))
        simulation.start()
        let records = try simulation.measure(messages: 10)
        #expect(records.allSatisfy { $0.audience == 159 })
        #expect(records.allSatisfy { $0.deliveryRate == 1 }, "\(records.map(\.deliveryRate))")
    }

    @Test func messagesAfterChurnReachTheNewNetwork() throws {
        var simulation = try GossipSimulation(.init(nodeCount: 200, seed: 4))
        simulation.start()
        try simulation.churn(fraction: 0.1, overSeconds: 10)
        #expect(simulation.nodeCount == 220)
        #expect(simulation.onlineHonestNodes.count == 200)
        let records = try simulation.measure(messages: 10)
        #expect(records.allSatisfy { $0.deliveryRate == 1 }, "\(records.map(\.deliveryRate))")
    }
}
