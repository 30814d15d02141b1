import AgoraCore
import AgoraDHT
import AgoraTestSupport
import AgoraWire
import Foundation
import Testing

/// Agora's DHT nodes and an unpatched py-libp2p 0.8.1 KadDHT (`tools/interop/py_kad_peer.py`)
/// in one network over loopback: each side's lookups, provider records and value records
/// work against the other's implementation.
@Suite(.serialized, .enabled(if: PyKadPeer.python != nil, "set AGORA_INTEROP_PYTHON to the py-libp2p venv's python"))
struct DHTInteropNetworkTests {
    @Test func pyLibp2pAndAgoraShareOneDHT() async throws {
        let python = try #require(PyKadPeer.python)
        let cluster = try await DHTCluster.start(count: 8, seedBase: 130)
        let py: PyKadPeer
        do {
            py = try await PyKadPeer(python: python, seed: 61)
        } catch {
            try await cluster.shutdown()
            throw error
        }
        do {
            try await Self.exercise(cluster, py)
        } catch {
            py.stop()
            try await cluster.shutdown()
            throw error
        }
        py.stop()
        try await cluster.shutdown()
    }

    static func exercise(_ cluster: DHTCluster, _ py: PyKadPeer) async throws {
        let pyPeer = try PeerID(string: py.peerID)
        let pyAddress = try Multiaddr(parsing: py.address)
        for index in 1..<8 { await cluster.nodes[index].bootstrap([cluster.addresses[0]]) }
        // Agora asks py (FIND_NODE to a py-libp2p server) and takes it into its table.
        await cluster.nodes[0].bootstrap([pyAddress])
        #expect(await cluster.nodes[0].routingTablePeers.contains(pyPeer))

        // FIND_NODE: py, told of one Agora node, finds all eight by an iterative lookup.
        try await py.command(["op": "connect", "addr": "\(cluster.addresses[1])"])
        let agoraPeers = Set(cluster.hosts.map(\.peerID.base58))
        let closest = try await py.command(["op": "closest", "key_hex": Hex.encode(Array("agora lookup target".utf8))])
        let closestPeers = Set(closest["peers"] as? [String] ?? [])
        #expect(closestPeers.isSuperset(of: agoraPeers))
        let found = try await py.command(["op": "find_peer", "peer": cluster.hosts[6].peerID.base58])
        let foundAddresses = found["addrs"] as? [String] ?? []
        #expect(foundAddresses.contains("\(cluster.addresses[6].withoutPeerID)"))

        // GET_PROVIDERS from py: a record Agora node 3 announced, with node 3's address.
        let agoraKey = DHTNames.packageProviderKey(scope: "acme", name: "json-kit")
        #expect(await cluster.nodes[3].provide(agoraKey) >= 5)
        let providers = try await py.command(["op": "find_providers", "key_hex": Hex.encode(agoraKey)])
        let entry = (providers["providers"] as? [[String: Any]] ?? []).first { $0["peer_id"] as? String == cluster.hosts[3].peerID.base58 }
        let providerAddresses = entry?["addrs"] as? [String] ?? []
        #expect(providerAddresses.contains("\(cluster.addresses[3].withoutPeerID)"))

        // ADD_PROVIDER from py: Agora nodes store it and serve it to a GET_PROVIDERS lookup.
        let pyKey = DHTNames.packageProviderKey(scope: "py", name: "thing")
        #expect(try await py.command(["op": "provide", "key_hex": Hex.encode(pyKey)])["announced"] as? Bool == true)
        for index in [2, 5, 7] {
            #expect(await cluster.nodes[index].findProviders(pyKey).contains(pyPeer), "node \(index)")
        }
        #expect(await cluster.nodes[5].addresses(of: pyPeer).contains(pyAddress.withoutPeerID))

        try await Self.values(cluster, py)
    }

    /// PUT_VALUE / GET_VALUE in our namespace: valid heads are stored and served both ways;
    /// unsigned, mis-signed, damaged, stale, conflicting and foreign-namespace ones are refused.
    static func values(_ cluster: DHTCluster, _ py: PyKadPeer) async throws {
        let author = try Identity(seed: Array(repeating: 7, count: 32))
        let key = DHTNames.feedHeadPrefix + author.publicKey.hex
        let head = try SignedFeedHead.sign(seq: 5, head: EventID(hashing: [5]), by: author)
        let target = cluster.hosts[2].peerID.base58
        func put(_ value: [UInt8], key: String = key, to peer: String = target) async throws -> Bool {
            try await py.command(["op": "put_to", "peer": peer, "key": key, "value_hex": Hex.encode(value)])["stored"] as? Bool == true
        }
        #expect(try await put(head.encoded))
        #expect(try await py.command(["op": "get_from", "peer": target, "key": key])["value_hex"] as? String == Hex.encode(head.encoded))
        #expect(try await cluster.nodes[7].getFeedHead(author: author.publicKey) == head, "an Agora lookup reads what py put")

        let other = try Identity(seed: Array(repeating: 8, count: 32))
        var misSigned = try SignedFeedHead.sign(seq: 6, head: EventID(hashing: [6]), by: other).encoded
        misSigned.replaceSubrange(1..<33, with: author.publicKey.bytes)
        var unsigned = try SignedFeedHead.sign(seq: 6, head: EventID(hashing: [6]), by: author).encoded
        unsigned.replaceSubrange(73..<137, with: repeatElement(0, count: 64))
        var refused: [(String, [UInt8])] = [
            ("mis-signed", misSigned), ("unsigned", unsigned), ("empty", []),
            ("stale", try SignedFeedHead.sign(seq: 4, head: EventID(hashing: [4]), by: author).encoded),
            ("conflicting head at the stored seq", try SignedFeedHead.sign(seq: 5, head: EventID(hashing: [55]), by: author).encoded),
        ]
        var random = SplitMix64(seed: 99)
        let newer = try SignedFeedHead.sign(seq: 9, head: EventID(hashing: [9]), by: author).encoded
        for round in 0..<6 {
            var damaged = newer
            let index = Int(random.next() % UInt64(damaged.count))
            damaged[index] ^= UInt8(1 + random.next() % 255)
            refused.append(("byte \(index) flipped (\(round))", damaged))
            refused.append(("cut to \(index) bytes", Array(newer.prefix(index))))
        }
        for (what, value) in refused {
            #expect(try await !put(value), "\(what)")
        }
        #expect(try await !put(newer, key: "/other-namespace/" + author.publicKey.hex), "a foreign namespace")
        #expect(try await py.command(["op": "get_from", "peer": target, "key": key])["value_hex"] as? String == Hex.encode(head.encoded))

        // py's own PUT_VALUE and GET_VALUE lookups across the Agora nodes.
        let next = try SignedFeedHead.sign(seq: 6, head: EventID(hashing: [6]), by: author)
        try await py.command(["op": "put", "key": key, "value_hex": Hex.encode(next.encoded)])
        #expect(try await cluster.nodes[6].getFeedHead(author: author.publicKey) == next)
        let got = try await py.command(["op": "get", "key": key])
        #expect(got["value_hex"] as? String == Hex.encode(next.encoded))
        // The same channel reports a newer valid head as stored.
        #expect(try await put(newer))
    }
}
