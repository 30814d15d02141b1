import AgoraCore
import AgoraDHT
import AgoraNode
import AgoraTestSupport
import AgoraWire
import Foundation
import Testing

/// Whole nodes (host, store, sync, DHT module) on loopback: the DHT runs inside the node.
@Suite struct NodeDHTNetworkTests {
    static func dht(_ node: TestNode, author: Identity? = nil) -> DHTNodeProtocol {
        DHTNodeProtocol(configuration: .init(
            dht: DHTConfiguration(requestTimeout: .seconds(30)),
            recordStorePath: node.directory.url.appendingPathComponent("dht-records").path,
            feedAuthor: author, maintenanceInterval: .milliseconds(500)))
    }

    /// Twenty nodes join through node 0 and fill their tables from their connections and
    /// lookups; a package published on node 7 (event and archive in its store, as `agora
    /// publish` leaves them) is found by a node that never connected to 7, which learns 7's
    /// address; nodes that replicated the event but lack the archive do not claim to hold it;
    /// node 7's publisher feed head is readable from another node.
    @Test func twentyNodesAnnounceAndFindAPackage() async throws {
        let nodes = try (0..<20).map { try TestNode(host: "127.0.0.\(140 + $0)") }
        var feed = FeedBuilder(seed: 77)
        let modules = nodes.enumerated().map { index, node in Self.dht(node, author: index == 7 ? feed.identity : nil) }
        try await nodes[0].start(protocols: [modules[0]])
        for index in 1..<20 {
            try await nodes[index].start(bootstrap: nodes[0].addresses, protocols: [modules[index]])
        }
        try await eventually("every routing table holds at least 10 peers") {
            for module in modules {
                guard let size = await module.node?.routingTableSize, size >= 10 else { return false }
            }
            return true
        }

        let archive = Array("json-kit 1.0.0 archive".utf8)
        let digest = try nodes[7].store.putBlob(archive)
        let release = feed.append(.releasePublished(ReleasePublished(
            scope: "acme", name: "json-kit", version: "1.0.0",
            manifest: Manifest(scope: "acme", name: "json-kit", version: "1.0.0", description: "json").canonicalJSON(),
            archiveDigest: digest.bytes, archiveSize: UInt64(archive.count))))
        _ = try nodes[7].store.append([release], verification: .chain)

        let stranger = modules[15]
        // A lookup waits out peers too loaded to answer (30 s request timeout): a long deadline.
        try await eventually("node 15 finds node 7 as the package's provider", within: .seconds(180)) {
            await stranger.findProviders(scope: "acme", name: "json-kit").map(\.peer) == [nodes[7].peerID]
        }
        let provider = await stranger.findProviders(scope: "ACME", name: "JSON-Kit").first
        #expect(provider?.addresses.contains(nodes[7].addresses[0].withoutPeerID) == true)
        try await eventually("the feed is announced", within: .seconds(180)) {
            await !modules[3].findProviders(feed: feed.key).isEmpty
        }
        try await eventually("node 12 reads node 7's signed feed head", within: .seconds(180)) {
            try await modules[12].node?.getFeedHead(author: feed.key)?.seq == 1
        }
        #expect(await modules[3].findProviders(scope: "acme", name: "nothing-here").isEmpty)
        for node in nodes.reversed() { await node.stop() }
    }
}
