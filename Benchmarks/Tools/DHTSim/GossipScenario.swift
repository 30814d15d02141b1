import AgoraTestSupport
import Foundation

/// Gossip in the simulator: N routers on a random graph (each dials 8), meshes formed over
/// 10 s of heartbeats, then messages from random honest nodes 200 ms apart; per message the
/// time until 50 %, 99 % and 100 % of the other honest nodes delivered it, and duplicates per
/// delivery. Then, on copies of the network, the same after each churn fraction (nodes
/// leaving and fresh ones dialling in, spread over 10 s). `--cdf` writes every node's
/// delivery delay, whose CDF is the mean share of nodes reached over time.
enum GossipScenario {
    static func run(_ options: DHTSim.Options) {
        let before = DHTSim.residentBytes()
        let clock = ContinuousClock()
        let started = clock.now
        do {
            var simulation = try GossipSimulation(.init(
                nodeCount: options.nodes, seed: options.seed, latency: options.latency,
                adversaryFraction: options.silent, adversary: options.silent > 0 ? .silent : .honest))
            simulation.start()
            let warmUp = clock.now - started
            let memoryPerNode = Double(DHTSim.residentBytes() - before) / Double(options.nodes)
            let warmUpRPCs = simulation.rpcsDelivered
            let measured = clock.now
            let records = try simulation.measure(messages: options.messages)
            let wall = clock.now - measured
            report(records, options: options, churn: 0, extra: [
                "warmup_wall_s": DHTSim.rounded(DHTSim.seconds(warmUp)),
                "sim_rpcs_per_s": Int(Double(warmUpRPCs) / max(DHTSim.seconds(warmUp), 1e-9)),
                "measure_rpcs_per_s": Int(Double(simulation.rpcsDelivered - warmUpRPCs) / max(DHTSim.seconds(wall), 1e-9)),
                "memory_per_node_bytes": Int(memoryPerNode),
            ])
            DHTSim.writeCDF(
                records.flatMap { $0.delays.map { Double($0) / 1000 } }, folder: options.cdf,
                name: "gossip-\(options.nodes)-\(options.latencyName)")
            for churn in options.churn {
                var trial = simulation
                try trial.churn(fraction: churn, overSeconds: 10)
                report(try trial.measure(messages: options.messages), options: options, churn: churn, extra: [:])
            }
        } catch {
            DHTSim.fail("gossip simulation: \(error)")
        }
    }

    static func report(_ records: [GossipSimulation.MessageRecord], options: DHTSim.Options, churn: Double, extra: [String: Any]) {
        func reach(_ fraction: Double) -> [String: Double] { DHTSim.summary(records.compactMap { $0.milliseconds(toReach: fraction) }) }
        let deliveries = records.reduce(0) { $0 + $1.delays.count }
        let rates = records.map(\.deliveryRate)
        var object: [String: Any] = [
            "scenario": "gossip", "nodes": options.nodes, "latency": options.latencyName, "seed": options.seed,
            "churn": churn, "silent": options.silent, "messages": records.count,
            "reach_50_ms": reach(0.5), "reach_99_ms": reach(0.99), "reach_100_ms": reach(1),
            "messages_not_reaching_all": records.filter { $0.milliseconds(toReach: 1) == nil }.count,
            "delivery_rate_mean": DHTSim.rounded(rates.reduce(0, +) / Double(max(1, rates.count)) * 1000) / 1000,
            "delivery_rate_min": DHTSim.rounded((rates.min() ?? 0) * 1000) / 1000,
            "duplicates_per_delivery": DHTSim.rounded(Double(records.reduce(0) { $0 + $1.duplicates }) / Double(max(1, deliveries))),
        ]
        object.merge(extra) { first, _ in first }
        DHTSim.emit(object)
    }
}
