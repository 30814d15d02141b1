import AgoraCore
import AgoraNode
import AgoraTestSupport
import AgoraWire
import Testing

/// A whole Agora node against py-libp2p 0.8.1's gossipsub (tools/interop/py_gossip_peer.py):
/// the node announces what lands in its store to the py peer, and stores what the py peer
/// publishes only after validating it through its writer.
@Suite(.serialized, .enabled(if: PyGossipPeer.python != nil, "set AGORA_INTEROP_PYTHON to the py-libp2p venv's python"))
struct NodeGossipInteropNetworkTests {
    @Test func aNodeAndAPyLibp2pPeerExchangeEventsAndTheNodeRejectsForgeries() async throws {
        let python = try #require(PyGossipPeer.python)
        let node = try TestNode(host: "127.0.0.1", followPeers: false)
        let py = try await PyGossipPeer(python: python, seed: 43, topic: NodeConfiguration().gossipTopic)
        defer { py.stop() }
        try await node.start(bootstrap: [try Multiaddr(parsing: py.address)])
        let pyPeer = try PeerID(string: py.peerID)
        try await waitForMeshes([node], neighbours: { _ in 1 })
        try await eventually("the py peer has the node in its mesh") {
            let mesh = try await py.command(["op": "mesh"])
            return (mesh["mesh"] as? [String])?.contains(node.peerID.base58) == true
        }

        // Node → py: an event written to the node's store is announced with its exact bytes.
        var feed = FeedBuilder(seed: 5)
        let ours = feed.publish("acme", "interop", "1.0.0")
        _ = try node.store.append([ours], verification: .chain)
        try await eventually("the py peer received the node's event") { py.receivedData.contains(Hex.encode(ours.bytes)) }

        // py → node: a valid event (the next in the feed) is stored; a message whose pubsub
        // signature does not match its claimed author is rejected by the router.
        let theirs = feed.publish("acme", "interop", "1.0.1")
        try await py.command(["op": "publish", "data_hex": Hex.encode(theirs.bytes)])
        try await eventually("the node stored the py peer's event") { try node.has(theirs) }
        let impostor = feed.publish("acme", "interop", "1.0.2")
        try await py.command(["op": "publish_forged", "data_hex": Hex.encode(impostor.bytes), "as_seed": 44])
        try await eventually("the router rejected the impostor") { await node.node?.status().gossip?.rejected == 1 }
        #expect(try !node.has(impostor))

        // An event with a bad author signature: rejected, not stored, and the py peer is cut off.
        var forged = feed.publish("acme", "interop", "2.0.0").bytes
        forged[forged.count - 1] ^= 0x04
        try await py.command(["op": "publish", "data_hex": Hex.encode(forged)])
        try await eventually("the node cut the py peer off") {
            await node.node?.status().cutOff.contains { $0.peerID == pyPeer.base58 && $0.reason.contains("forged") } == true
        }
        try await eventually("the node's log records the penalty") { try node.hasPenalised(pyPeer) }
        #expect(try node.foreignEventCount() == 2, "only the node's own event and the py peer's valid one")
        await node.stop()
    }
}
