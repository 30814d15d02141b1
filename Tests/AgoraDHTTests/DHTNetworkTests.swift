import AgoraCore
import AgoraDHT
import AgoraTestSupport
import AgoraWire
import Foundation
import NIOPosix
import Testing

/// DHT nodes on real hosts over loopback TCP, in one process.
struct DHTCluster {
    let group: MultiThreadedEventLoopGroup
    let hosts: [P2PHost]
    let nodes: [DHTNode]
    let addresses: [Multiaddr]
    private let runners: [Task<Void, any Error>]
    let folder: TemporaryDirectory

    /// Many nodes dial from 127.0.0.1, so the per-address limits are raised for the test.
    static let configuration = HostConfiguration(
        upgrade: .init(), streamNegotiationTimeout: .seconds(30),
        limits: ConnectionLimits(maxConnectionsPerAddress: 256, maxPendingInboundPerAddress: 64)
    )

    /// `count` server nodes, then `clients` client-mode nodes (they ask, nobody stores them).
    static func start(count: Int, clients: Int = 0, seedBase: UInt8 = 100) async throws -> DHTCluster {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let folder = try TemporaryDirectory()
        var hosts: [P2PHost] = []
        var nodes: [DHTNode] = []
        var addresses: [Multiaddr] = []
        var runners: [Task<Void, any Error>] = []
        for index in 0..<(count + clients) {
            let identity = try Identity(seed: [seedBase, UInt8(index)] + Array(repeating: 0, count: 30))
            let host = P2PHost(identity: identity, configuration: configuration, group: group)
            runners.append(Task { try await host.run() })
            let bound = try await host.listen(on: Multiaddr(parsing: "/ip4/127.0.0.1/tcp/0"))
            let node = try DHTNode(
                host: host, configuration: DHTConfiguration(mode: index < count ? .server : .client, requestTimeout: .seconds(30)),
                recordStorePath: folder.url.appendingPathComponent("records-\(index)").path
            )
            try await node.start()
            hosts.append(host)
            nodes.append(node)
            addresses.append(bound.withPeerID(host.peerID))
        }
        return DHTCluster(group: group, hosts: hosts, nodes: nodes, addresses: addresses, runners: runners, folder: folder)
    }

    func shutdown() async throws {
        for host in hosts { await host.shutdown() }
        for runner in runners { try await runner.value }
        try await group.shutdownGracefully()
    }
}

/// Polls `condition` until it holds or `timeout` passes; only a really broken run waits it out.
func eventually(timeout: Duration = .seconds(60), _ condition: () async -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if await condition() { return true }
        try? await Task.sleep(for: .milliseconds(200))
    }
    return await condition()
}

@Suite struct DHTNetworkTests {
    @Test func twentyNodesBootstrapAndFindAProviderAndAFeedHead() async throws {
        let cluster = try await DHTCluster.start(count: 20, clients: 1)
        do {
            // Everyone joins through node 0; the peers that answer and those that ask (and
            // serve kad themselves) fill the tables.
            for index in 1..<20 {
                await cluster.nodes[index].bootstrap([cluster.addresses[0]])
            }
            let filled = await eventually {
                var sizes: [Int] = []
                for node in cluster.nodes.prefix(20) { sizes.append(await node.routingTableSize) }
                return sizes.allSatisfy { $0 >= 15 }
            }
            #expect(filled)

            let key = DHTNames.packageProviderKey(scope: "acme", name: "json-kit")
            let stored = await cluster.nodes[7].provide(key)
            #expect(stored >= 10)
            // With k = 20 every server holds the record; a client, which holds none and is in
            // nobody's table, finds it by a GET_PROVIDERS lookup and learns how to dial node 7.
            #expect(await cluster.nodes[15].findProviders(key, count: 1) == [cluster.hosts[7].peerID])
            let client = cluster.nodes[20]
            #expect(await client.bootstrap([cluster.addresses[4]]) >= 10)
            #expect(await client.findProviders(key, count: 1) == [cluster.hosts[7].peerID])
            #expect(await client.addresses(of: cluster.hosts[7].peerID).contains(cluster.addresses[7].withoutPeerID))
            for node in cluster.nodes.prefix(20) {
                #expect(await !node.routingTablePeers.contains(cluster.hosts[20].peerID))
            }

            // Feed heads: put on node 3, read back from node 12; a stale one is refused.
            let author = Identity(privateKey: .init())
            let head = try SignedFeedHead.sign(seq: 9, head: EventID(hashing: [9]), by: author)
            #expect(try await cluster.nodes[3].putFeedHead(head) >= 10)
            #expect(try await cluster.nodes[12].getFeedHead(author: author.publicKey) == head)
            let stale = try SignedFeedHead.sign(seq: 8, head: EventID(hashing: [8]), by: author)
            #expect(try await cluster.nodes[5].putFeedHead(stale) == 0)
            #expect(try await cluster.nodes[18].getFeedHead(author: author.publicKey) == head)

            // FIND_NODE for a peer resolves its address.
            let found = await cluster.nodes[2].findPeer(cluster.hosts[19].peerID)
            #expect(found.contains { $0.withoutPeerID == cluster.addresses[19].withoutPeerID })
        } catch {
            try await cluster.shutdown()
            throw error
        }
        try await cluster.shutdown()
    }
}
