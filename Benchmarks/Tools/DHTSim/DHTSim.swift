import AgoraDHT
import AgoraTestSupport
import Foundation

/// Runs the DHT simulator at a given size and prints what it measured as one JSON object per
/// scenario (lookup latency and hops, provider success under churn, the simulator's own speed
/// and memory); `--cdf DIR` also writes the lookup latencies for `tools/dht-plot.py`.
/// `--scenario gossip` runs the gossipsub simulator instead (see `GossipScenario`).
///
///     DHTSim --nodes 1000 --latency fixed|regions [--join protocol|direct] [--lookups 1000]
///            [--keys 200] [--churn 0.1,0.3] [--seed 1] [--cdf DIR]
///     DHTSim --scenario gossip --nodes 1000 --latency fixed|regions [--messages 50]
///            [--churn 0.1,0.3] [--silent 0.2] [--seed 1] [--cdf DIR]
@main
struct DHTSim {
    struct Options {
        var nodes = 1000
        var latency = LatencyModel.fixed(oneWayMilliseconds: 20)
        var latencyName = "fixed20"
        var lookups = 1000
        var keys = 200
        var churn: [Double] = [0.1, 0.3]
        var seed: UInt64 = 1
        var cdf: String?
        /// `protocol`: every node joins by self-lookup and bucket refreshes; `direct`: tables
        /// filled without messages (`DHTSimulation.fillTables`), for 10,000 nodes.
        var join = "protocol"
        var scenario = "dht"
        var messages = 50
        /// Share of gossip nodes that never forward messages.
        var silent = 0.0
    }

    static func parse() -> Options {
        var options = Options()
        var arguments = CommandLine.arguments.dropFirst().makeIterator()
        while let flag = arguments.next() {
            guard let value = arguments.next() else { fail("\(flag) needs a value") }
            switch flag {
            case "--nodes": options.nodes = number(value, flag)
            case "--latency":
                switch value {
                case "fixed": (options.latency, options.latencyName) = (.fixed(oneWayMilliseconds: 20), "fixed20")
                case "regions": (options.latency, options.latencyName) = (.regions, "regions")
                default: fail("--latency fixed|regions")
                }
            case "--lookups": options.lookups = number(value, flag)
            case "--keys": options.keys = number(value, flag)
            case "--churn": options.churn = value.split(separator: ",").map { number(String($0), flag) }
            case "--seed": options.seed = number(value, flag)
            case "--cdf": options.cdf = value
            case "--join": options.join = value
            case "--scenario": options.scenario = value
            case "--messages": options.messages = number(value, flag)
            case "--silent": options.silent = number(value, flag)
            default: fail("unknown option \(flag)")
            }
        }
        return options
    }

    static func number<T: LosslessStringConvertible>(_ text: String, _ flag: String) -> T {
        guard let value = T(text) else { fail("\(flag) \(text): not a number") }
        return value
    }

    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("DHTSim: \(message)\n".utf8))
        exit(64)
    }

    static func residentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        return fields.count > 1 ? (Int(fields[1]) ?? 0) * Int(sysconf(Int32(_SC_PAGESIZE))) : 0
    }

    static func percentile(_ sorted: [Double], _ p: Double) -> Double {
        guard !sorted.isEmpty else { return .nan }
        return sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)]
    }

    static func rounded(_ value: Double) -> Double { (value * 10).rounded() / 10 }

    static func summary(_ values: [Double]) -> [String: Double] {
        guard !values.isEmpty else { return [:] }
        let sorted = values.sorted()
        return ["p50": rounded(percentile(sorted, 0.5)), "p99": rounded(percentile(sorted, 0.99)), "max": rounded(sorted.last ?? .nan)]
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    /// At most 2,000 evenly spaced quantiles, so a 10,000-node gossip run stays a small file.
    static func writeCDF(_ values: [Double], folder: String?, name: String) {
        guard let folder, !values.isEmpty else { return }
        let sorted = values.sorted()
        let count = min(sorted.count, 2000)
        let samples = (1...count).map { sorted[($0 * sorted.count + count - 1) / count - 1] }
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try? samples.map { String($0) }.joined(separator: "\n").write(toFile: "\(folder)/\(name).txt", atomically: true, encoding: .utf8)
    }

    static func emit(_ object: [String: Any]) {
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else { fail("cannot encode \(object)") }
        print(String(decoding: data, as: UTF8.self))
    }

    static func main() {
        let options = parse()
        if options.scenario == "gossip" {
            GossipScenario.run(options)
            return
        }
        let before = residentBytes()
        let clock = ContinuousClock()
        var simulation = DHTSimulation(.init(nodeCount: options.nodes, seed: options.seed, latency: options.latency))
        let bootStart = clock.now
        if options.join == "direct" { simulation.fillTables() } else { simulation.bootstrap() }
        let bootWall = clock.now - bootStart
        let memoryPerNode = Double(residentBytes() - before) / Double(options.nodes)
        let bootMessages = simulation.messagesDelivered
        let joins = simulation.joinLatencies.map { Double($0) / 1000 }

        let lookupStart = clock.now
        let messagesBefore = simulation.messagesDelivered
        let records = simulation.measureLookups(count: options.lookups)
        let lookupWall = clock.now - lookupStart
        let latencies = records.map(\.latencyMilliseconds)
        var exact = 0.0
        for record in records {
            let truth = Set(simulation.trueClosest(to: record.target, count: 20))
            exact += Double(truth.intersection(record.results).count) / 20
        }
        emit([
            "scenario": "lookup", "join": options.join, "nodes": options.nodes, "latency": options.latencyName, "seed": options.seed,
            "lookups": records.count, "latency_ms": summary(latencies), "hops": summary(records.map { Double($0.hops) }),
            "requests_mean": rounded(Double(records.map(\.requests).reduce(0, +)) / Double(max(1, records.count))),
            "overlap_with_true_k_closest": rounded(exact / Double(max(1, records.count)) * 1000) / 1000,
            "join_ms": summary(joins),
            "bootstrap_messages": bootMessages, "bootstrap_wall_s": rounded(seconds(bootWall)),
            "sim_messages_per_s": Int(Double(bootMessages) / max(seconds(bootWall), 1e-9)),
            "lookup_messages_per_s": Int(Double(simulation.messagesDelivered - messagesBefore) / max(seconds(lookupWall), 1e-9)),
            "memory_per_node_bytes": Int(memoryPerNode),
        ])
        writeCDF(latencies, folder: options.cdf, name: "lookup-\(options.nodes)-\(options.latencyName)")

        // Providers: announce, churn (providers stay), then look each key up once.
        var random = SeededGenerator(seed: options.seed ^ 0xD47)
        for churn in options.churn {
            var trial = simulation
            let keys = (0..<options.keys).map { _ in DHTKey.random(using: &random) }
            let providers = trial.announce(keys)
            trial.churn(fraction: churn, keep: Set(providers))
            let found = trial.findProviders(keys)
            let successes = zip(found, providers).filter { $0.providers.contains($1) }.count
            emit([
                "scenario": "providers", "nodes": options.nodes, "latency": options.latencyName, "churn": churn,
                "keys": keys.count, "success": rounded(Double(successes) / Double(keys.count) * 1000) / 10,
                "latency_ms": summary(found.map(\.latencyMilliseconds)), "hops": summary(found.map { Double($0.hops) }),
            ])
        }
    }
}
