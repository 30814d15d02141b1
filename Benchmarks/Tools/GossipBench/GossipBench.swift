import AgoraBlob
import AgoraCore
import AgoraGossip
import AgoraMigrations
import AgoraStore
import AgoraWire
import Foundation
import NIOPosix

/// Gossip and archive transfer on loopback with real hosts in one process:
///
///     GossipBench gossip NODES [EVENTS] [DEGREE]   time until 50 / 99 / 100 % of the other nodes
///                                                  delivered each event; duplicates per delivery
///     GossipBench node NODES [EVENTS] [DEGREE]     the same through whole nodes (`AgoraNode`: store,
///                                                  validation through the writer, one commit per hop)
///     GossipBench blob MIB                         download MiB/s from 1 and from 3 sources
///
/// Numbers are printed, never judged; see Benchmarks/README.md.
@main
enum GossipBench {
    static func main() async throws {
        let arguments = CommandLine.arguments.dropFirst().map { $0 }
        switch arguments.first {
        case "gossip":
            let nodes = arguments.count > 1 ? Int(arguments[1]) ?? 10 : 10
            let events = arguments.count > 2 ? Int(arguments[2]) ?? 50 : 50
            let degree = arguments.count > 3 ? Int(arguments[3]) ?? 8 : 8
            try await gossip(nodes: nodes, events: events, degree: degree)
        case "node":
            let nodes = arguments.count > 1 ? Int(arguments[1]) ?? 10 : 10
            let events = arguments.count > 2 ? Int(arguments[2]) ?? 50 : 50
            let degree = arguments.count > 3 ? Int(arguments[3]) ?? 8 : 8
            try await nodeGossip(nodes: nodes, events: events, degree: degree)
        case "blob":
            try await blob(mebibytes: arguments.count > 1 ? Int(arguments[1]) ?? 64 : 64)
        default:
            print("usage: GossipBench gossip|node NODES [EVENTS] [DEGREE] | GossipBench blob MIB")
        }
    }

    static func configuration() -> HostConfiguration {
        var configuration = HostConfiguration(streamNegotiationTimeout: .seconds(60), identifyOnConnect: false)
        configuration.limits.maxConnections = 4096
        configuration.limits.maxConnectionsPerAddress = 4096
        configuration.limits.maxPendingInbound = 512
        configuration.limits.maxPendingInboundPerAddress = 512
        configuration.upgrade.timeout = .seconds(60)
        return configuration
    }

    /// Measuring starts once every node's mesh holds D_lo peers (or all its links): the
    /// heartbeats that graft them are part of joining, not of delivering an event.
    /// A connected random graph: a random tree plus random extra links up to about `degree`
    /// per node, each link as [lower, higher].
    static func randomGraph(nodes: Int, degree: Int, using generator: inout SplitMix64) -> Set<[Int]> {
        var links: Set<[Int]> = []
        for node in 1..<nodes { links.insert([Int.random(in: 0..<node, using: &generator), node]) }
        for node in 0..<nodes {
            for _ in 0..<degree / 2 {
                let other = Int.random(in: 0..<nodes, using: &generator)
                if other != node { links.insert([min(node, other), max(node, other)]) }
            }
        }
        return links
    }

    static func meshesFormed(_ services: [GossipService], links: [Int], topic: String) async throws {
        let wanted = GossipConfiguration().dLow
        let deadline = ContinuousClock.now + .seconds(60)
        for (index, service) in services.enumerated() {
            while await service.meshPeers(topic).count < min(wanted, links[index]) {
                guard ContinuousClock.now < deadline else { throw BenchError("meshes did not form within 60 s") }
                try await Task.sleep(for: .milliseconds(20))
            }
        }
    }

    static func gossip(nodes: Int, events: Int, degree: Int) async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let topic = "agora/bench/1"
        let arrivals = Arrivals()
        var hosts: [P2PHost] = []
        var services: [GossipService] = []
        var addresses: [Multiaddr] = []
        var tasks: [Task<Void, Never>] = []
        for node in 0..<nodes {
            let identity = try Identity(seed: [200, UInt8(node & 0xff), UInt8(node >> 8)] + Array(repeating: 0, count: 29))
            let host = P2PHost(identity: identity, configuration: configuration(), group: group)
            let service = GossipService(host: host) { _, _ in .accept }
            try await service.start()
            addresses.append(try await host.listen(on: Multiaddr(parsing: "/ip4/127.0.0.1/tcp/0")).withPeerID(host.peerID))
            hosts.append(host)
            services.append(service)
            tasks.append(Task { try? await host.run() })
            tasks.append(Task { await service.run() })
            tasks.append(Task {
                for await delivery in service.deliveries { await arrivals.record(delivery.id, at: .now) }
            })
        }
        var generator = SplitMix64(seed: 7)
        let links = randomGraph(nodes: nodes, degree: degree, using: &generator)
        for link in links {
            _ = try await hosts[link[0]].connect(to: addresses[link[1]])
            await services[link[0]].addPeer(hosts[link[1]].peerID)
        }
        for service in services { await service.subscribe(topic) }
        var linksOf = [Int](repeating: 0, count: nodes)
        for link in links { linksOf[link[0]] += 1; linksOf[link[1]] += 1 }
        try await meshesFormed(services, links: linksOf, topic: topic)
        var propagation = Propagation(nodes: nodes)
        for round in 0..<events {
            let origin = Int.random(in: 0..<nodes, using: &generator)
            let start = ContinuousClock.now
            let id = try await services[origin].publish(Array("bench event \(round)".utf8), topic: topic)
            let deadline = start + .seconds(10)
            while await arrivals.count(id) < nodes - 1, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(1))
            }
            propagation.add(await arrivals.times(id), since: start)
            try await Task.sleep(for: .milliseconds(100))
        }
        var delivered = 0, duplicates = 0
        for service in services {
            let counters = await service.counters
            delivered += counters.delivered
            duplicates += counters.duplicates
        }
        print("gossip: \(nodes) nodes, ~\(degree) links each, \(events) events, one at a time from random nodes")
        propagation.print(duplicates: duplicates, delivered: delivered)
        for service in services { await service.stop() }
        for host in hosts { await host.shutdown() }
        for task in tasks { task.cancel() }
        try await group.shutdownGracefully()
    }

    static func blob(mebibytes: Int) async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("gossip-bench-\(getpid())")
        defer { try? FileManager.default.removeItem(at: scratch) }
        var hosts: [P2PHost] = []
        var stores: [Store] = []
        var tasks: [Task<Void, Never>] = []
        for node in 0..<4 {
            let host = P2PHost(identity: try Identity(seed: [201, UInt8(node)] + Array(repeating: 0, count: 30)), configuration: configuration(), group: group)
            let store = try Store(directory: scratch.appendingPathComponent("node\(node)"), migrations: AgoraMigrations.all, views: nil)
            if node > 0 { try await BlobServer(store: store).register(on: host) }
            _ = try await host.listen(on: Multiaddr(parsing: "/ip4/127.0.0.1/tcp/0"))
            hosts.append(host)
            stores.append(store)
            tasks.append(Task { try? await host.run() })
        }
        for node in 1..<4 {
            let address = await hosts[node].listenAddresses.first!
            _ = try await hosts[0].connect(to: address.withPeerID(hosts[node].peerID))
        }
        var generator = SplitMix64(seed: 11)
        print("blob: \(mebibytes) MiB archives (random bytes), loopback, 2 streams per source")
        for (round, sources) in [1, 3, 1, 3, 1, 3].enumerated() {
            var archive = [UInt8](repeating: 0, count: mebibytes << 20)
            for index in stride(from: 0, to: archive.count, by: 8) {
                withUnsafeBytes(of: generator.next()) { archive.replaceSubrange(index..<min(index + 8, archive.count), with: $0.prefix(archive.count - index)) }
            }
            var digest: BlobDigest?
            for source in 1...sources { digest = try stores[source].putBlob(archive) }
            let downloader = BlobDownloader(host: hosts[0], store: stores[0], partials: scratch.appendingPathComponent("partial"))
            let start = ContinuousClock.now
            _ = try await downloader.download(digest!, from: (1...sources).map { hosts[$0].peerID })
            let seconds = (ContinuousClock.now - start) / .seconds(1)
            print(String(format: "  run %d, %d source(s): %.1f MiB/s (%.2f s, including the final hash and the store write)",
                         round + 1, sources, Double(mebibytes) / seconds, seconds))
        }
        for host in hosts { await host.shutdown() }
        for task in tasks { task.cancel() }
        try await group.shutdownGracefully()
    }
}

/// Per event, the time from its publication until 50 %, 99 % and 100 % of the other nodes had it.
struct Propagation {
    let nodes: Int
    private var p50: [Double] = [], p99: [Double] = [], p100: [Double] = []
    private var events = 0, incomplete = 0

    init(nodes: Int) { self.nodes = nodes }

    mutating func add(_ arrivals: [ContinuousClock.Instant], since start: ContinuousClock.Instant) {
        events += 1
        let times = arrivals.map { ($0 - start) / .milliseconds(1) }.sorted()
        if times.count < nodes - 1 { incomplete += 1 }
        guard !times.isEmpty else { return }
        let expected = Double(nodes - 1)
        let at99 = Int((expected * 0.99).rounded(.up))
        p50.append(times[min(times.count - 1, Int((expected * 0.5).rounded(.up)) - 1)])
        p99.append(times.count >= at99 ? times[at99 - 1] : .infinity)
        p100.append(times.count == nodes - 1 ? times[times.count - 1] : .infinity)
    }

    func print(duplicates: Int, delivered: Int) {
        func summary(_ values: [Double]) -> String {
            let sorted = values.sorted()
            return String(format: "median %.2f ms, p90 %.2f ms, max %.2f ms", percentile(sorted, 0.5), percentile(sorted, 0.9), sorted.last ?? 0)
        }
        Swift.print("  50% of nodes:  \(summary(p50))")
        Swift.print("  99% of nodes:  \(summary(p99))")
        Swift.print("  100% of nodes: \(summary(p100))")
        Swift.print(String(format: "  delivery rate %.4f (events that reached every node), duplicates per delivery %.2f",
                           Double(events - incomplete) / Double(max(1, events)), Double(duplicates) / Double(max(1, delivered))))
    }

    private func percentile(_ sorted: [Double], _ fraction: Double) -> Double {
        guard !sorted.isEmpty else { return .nan }
        return sorted[min(sorted.count - 1, max(0, Int((Double(sorted.count) * fraction).rounded(.up)) - 1))]
    }
}

/// When each delivery of each message happened (by message ID for bare routers, by local
/// sequence and node for whole nodes).
actor Arrivals {
    private var seen: [GossipMessageID: [ContinuousClock.Instant]] = [:]
    private var committed: [UInt64: [Int: ContinuousClock.Instant]] = [:]

    func record(_ id: GossipMessageID, at instant: ContinuousClock.Instant) {
        seen[id, default: []].append(instant)
    }

    func count(_ id: GossipMessageID) -> Int { seen[id]?.count ?? 0 }
    func times(_ id: GossipMessageID) -> [ContinuousClock.Instant] { seen[id] ?? [] }

    func record(_ localSeq: UInt64, node: Int, at instant: ContinuousClock.Instant) {
        committed[localSeq, default: [:]][node] = instant
    }

    func count(_ localSeq: UInt64) -> Int { committed[localSeq]?.count ?? 0 }
    func times(_ localSeq: UInt64, except origin: Int) -> [ContinuousClock.Instant] {
        (committed[localSeq] ?? [:]).filter { $0.key != origin }.map(\.value)
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
