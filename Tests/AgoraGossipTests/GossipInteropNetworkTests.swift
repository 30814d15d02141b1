import AgoraCore
import AgoraGossip
import AgoraTestSupport
import AgoraWire
import Testing

/// Against py-libp2p 0.8.1's gossipsub (tools/interop/py_gossip_peer.py): events flow both
/// ways, and forged ones are rejected by Agora's checks.
@Suite(.serialized, .enabled(if: PyGossipPeer.python != nil, "set AGORA_INTEROP_PYTHON to the py-libp2p venv's python"))
struct GossipInteropNetworkTests {
    let topic = "agora/interop/1"

    @Test func eventsFlowBothWaysAndForgeriesAreRejected() async throws {
        let python = try #require(PyGossipPeer.python)
        let py = try await PyGossipPeer(python: python, seed: 41, topic: topic)
        defer { py.stop() }
        let cluster = try await GossipCluster(count: 1, seed: 92) { message, _ in EventValidation.check(message) }
        do {
            let node = cluster.services[0]
            await node.subscribe(topic)
            let pyPeer = try PeerID(string: py.peerID)
            try await cluster.hosts[0].connect(to: Multiaddr(parsing: py.address))
            await node.addPeer(pyPeer)
            // Both sides see each other in the topic's mesh (py grafts us once it knows our subscription).
            let meshed = await GossipCluster.waitFor {
                guard await node.meshPeers(topic).contains(pyPeer) else { return false }
                let mesh = try? await py.command(["op": "mesh"])
                return (mesh?["mesh"] as? [String])?.contains(cluster.hosts[0].peerID.base58) == true
            }
            #expect(meshed)

            // Agora → py: the py peer receives the exact event bytes.
            var feed = FeedBuilder(seed: 3)
            let ours = feed.publish("acme", "interop", "1.0.0")
            let id = try await node.publish(ours.bytes, topic: topic)
            #expect(id.bytes == ours.id.bytes)
            #expect(await GossipCluster.waitFor { py.receivedData.contains(Hex.encode(ours.bytes)) })

            // py → Agora: a valid event is delivered; a tampered one (bad event signature) and a
            // message whose pubsub signature does not match its claimed author are rejected.
            let theirs = feed.publish("acme", "interop", "1.0.1")
            var tampered = feed.publish("acme", "interop", "1.0.2").bytes
            tampered[tampered.count / 2] ^= 0x01
            _ = try await py.command(["op": "publish", "data_hex": Hex.encode(theirs.bytes)])
            #expect(await GossipCluster.waitFor { await node.counters.delivered == 1 })
            _ = try await py.command(["op": "publish", "data_hex": Hex.encode(tampered)])
            _ = try await py.command(["op": "publish_forged", "data_hex": Hex.encode(feed.publish("acme", "interop", "1.0.3").bytes), "as_seed": 42])
            #expect(await GossipCluster.waitFor { let counters = await node.counters; return counters.delivered == 1 && counters.rejected == 2 })
            var iterator = node.deliveries.makeAsyncIterator()
            let delivery = await iterator.next()
            #expect(delivery?.message.data == theirs.bytes)
            #expect(delivery?.id.bytes == theirs.id.bytes)
            #expect(delivery?.message.from == pyPeer.bytes)
        } catch {
            try await cluster.shutdown()
            throw error
        }
        try await cluster.shutdown()
    }
}
