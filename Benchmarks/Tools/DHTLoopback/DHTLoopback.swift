import AgoraCore
import AgoraDHT
import AgoraWire
import Foundation
import NIOPosix

/// Real DHT nodes (host, Noise, yamux, `/ipfs/kad/1.0.0`) on loopback in one process: each on
/// its own 127.0.0.x address, every node joins through node 0; then random FIND_NODE lookups
/// and GET_PROVIDERS for keys announced by random nodes. Prints one JSON object.
///
///     DHTLoopback --nodes 100 [--lookups 200] [--keys 20]
@main
struct DHTLoopback {
    static func main() async throws {
        var nodes = 10, lookups = 200, keys = 20
        var arguments = CommandLine.arguments.dropFirst().makeIterator()
        while let flag = arguments.next() {
            guard let text = arguments.next(), let value = Int(text), value > 0 else { fatal("\(flag) needs a positive number") }
            switch flag {
            case "--nodes": nodes = min(value, 250)
            case "--lookups": lookups = value
            case "--keys": keys = value
            default: fatal("unknown option \(flag)")
            }
        }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: ProcessInfo.processInfo.activeProcessorCount)
        let configuration = HostConfiguration(
            upgrade: .init(timeout: .seconds(60)), streamNegotiationTimeout: .seconds(60),
            limits: ConnectionLimits(maxConnections: 1024, maxConnectionsPerAddress: 1024, maxPendingInboundPerAddress: 256))
        let memoryBefore = residentBytes()
        var hosts: [P2PHost] = []
        var dht: [DHTNode] = []
        var addresses: [Multiaddr] = []
        for index in 0..<nodes {
            let host = P2PHost(identity: Identity.generate(), configuration: configuration, group: group)
            Task { try await host.run() }
            let bound = try await host.listen(on: Multiaddr(parsing: "/ip4/127.0.0.\(index + 2)/tcp/0"))
            let node = try DHTNode(host: host, configuration: DHTConfiguration(requestTimeout: .seconds(30)))
            try await node.start()
            hosts.append(host)
            dht.append(node)
            addresses.append(bound.withPeerID(host.peerID))
        }
        // Joins one after another, as nodes arriving over time would.
        var joins: [Double] = []
        let clock = ContinuousClock()
        for index in 1..<nodes {
            let start = clock.now
            await dht[index].bootstrap([addresses[0]])
            joins.append(milliseconds(clock.now - start))
        }
        var sizes: [Double] = []
        for node in dht { sizes.append(Double(await node.routingTableSize)) }
        let memoryPerNode = Double(residentBytes() - memoryBefore) / Double(nodes)

        var random = SystemRandomNumberGenerator()
        var latencies: [Double] = []
        var hops: [Double] = []
        var found = 0
        for _ in 0..<lookups {
            let origin = dht[Int.random(in: 0..<nodes, using: &random)]
            let target = hosts[Int.random(in: 0..<nodes, using: &random)].peerID
            let start = clock.now
            let outcome = await origin.findClosest(target.bytes)
            latencies.append(milliseconds(clock.now - start))
            hops.append(Double(outcome.hops))
            if outcome.closest.first == target || outcome.closest.count >= min(20, nodes - 1) { found += 1 }
        }
        var providerLatencies: [Double] = []
        var providerSuccess = 0
        for index in 0..<keys {
            let key = DHTNames.providerKey(for: "bench/\(index)")
            let provider = Int.random(in: 0..<nodes, using: &random)
            _ = await dht[provider].provide(key)
            let asker = dht[(provider + 1 + Int.random(in: 0..<(nodes - 1), using: &random)) % nodes]
            let start = clock.now
            let providers = await asker.findProviders(key, count: 1)
            providerLatencies.append(milliseconds(clock.now - start))
            if providers == [hosts[provider].peerID] { providerSuccess += 1 }
        }
        let object: [String: Any] = [
            "nodes": nodes, "join_ms": summary(joins), "table_size": summary(sizes),
            "memory_per_node_bytes": Int(memoryPerNode),
            "find_node_ms": summary(latencies), "find_node_complete": found, "hops": summary(hops),
            "get_providers_ms": summary(providerLatencies), "providers_found": "\(providerSuccess)/\(keys)",
        ]
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
        for host in hosts { await host.shutdown() }
        try await group.shutdownGracefully()
    }

    static func fatal(_ message: String) -> Never {
        FileHandle.standardError.write(Data("DHTLoopback: \(message)\n".utf8))
        exit(64)
    }

    static func milliseconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
    }

    static func residentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        return fields.count > 1 ? (Int(fields[1]) ?? 0) * Int(sysconf(Int32(_SC_PAGESIZE))) : 0
    }

    static func summary(_ values: [Double]) -> [String: Double] {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return [:] }
        let at = { (p: Double) in (sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)] * 10).rounded() / 10 }
        return ["p50": at(0.5), "p99": at(0.99), "max": at(1)]
    }
}
