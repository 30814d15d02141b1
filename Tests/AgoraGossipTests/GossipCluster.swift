import AgoraCore
import AgoraGossip
import AgoraWire
import Foundation
import NIOPosix

/// Real hosts on 127.0.0.1 (one event loop group), each with a running `GossipService`,
/// for the loopback tests. Waits poll with a generous deadline instead of timing anything.
final class GossipCluster: @unchecked Sendable {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
    var hosts: [P2PHost] = []
    var services: [GossipService] = []
    var addresses: [Multiaddr] = []
    var tasks: [Task<Void, Never>] = []

    static func hostConfiguration() -> HostConfiguration {
        var configuration = HostConfiguration(streamNegotiationTimeout: .seconds(60))
        configuration.limits.maxConnectionsPerAddress = 512
        configuration.limits.maxPendingInboundPerAddress = 128
        configuration.limits.maxPendingInbound = 128
        configuration.upgrade.timeout = .seconds(60)
        return configuration
    }

    init(count: Int, seed: UInt8, validator: @escaping GossipService.Validator = { _, _ in .accept }) async throws {
        for node in 0..<count {
            let identity = try Identity(seed: [seed, UInt8(node & 0xff), UInt8(node >> 8)] + Array(repeating: 0, count: 29))
            let host = P2PHost(identity: identity, configuration: Self.hostConfiguration(), group: group)
            let service = GossipService(host: host, validator: validator)
            try await service.start()
            let bound = try await host.listen(on: Multiaddr(parsing: "/ip4/127.0.0.1/tcp/0"))
            hosts.append(host)
            services.append(service)
            addresses.append(bound.withPeerID(host.peerID))
            tasks.append(Task { try? await host.run() })
            tasks.append(Task { await service.run() })
        }
    }

    func connect(_ a: Int, _ b: Int) async throws {
        try await hosts[a].connect(to: addresses[b])
        await services[a].addPeer(hosts[b].peerID)
    }

    /// A connected random graph: a chain for connectivity plus random extra links up to `degree`.
    func connectRandomly(degree: Int, seed: UInt64) async throws {
        var generator = SplitMix64(seed: seed)
        var links: Set<[Int]> = []
        for node in 1..<hosts.count { links.insert([Int.random(in: 0..<node, using: &generator), node]) }
        for node in hosts.indices {
            for _ in 0..<degree / 2 {
                let other = Int.random(in: 0..<hosts.count, using: &generator)
                if other != node { links.insert([min(node, other), max(node, other)]) }
            }
        }
        for link in links.sorted(by: { $0.lexicographicallyPrecedes($1) }) { try await connect(link[0], link[1]) }
    }

    func subscribeAll(_ topic: String) async {
        for service in services { await service.subscribe(topic) }
    }

    /// Polls `condition` every 20 ms until it holds or `deadline` passes.
    static func waitFor(_ deadline: Duration = .seconds(60), _ condition: () async -> Bool) async -> Bool {
        let end = ContinuousClock.now + deadline
        while ContinuousClock.now < end {
            if await condition() { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return await condition()
    }

    func shutdown() async throws {
        for service in services { await service.stop() }
        for host in hosts { await host.shutdown() }
        for task in tasks { await task.value }
        try await group.shutdownGracefully()
    }
}
