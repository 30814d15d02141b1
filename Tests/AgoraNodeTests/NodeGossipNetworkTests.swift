import AgoraCore
import AgoraGossip
import AgoraNode
import AgoraStore
import AgoraTestSupport
import AgoraWire
import Foundation
import Testing

/// Nodes in one process on loopback, replicating through gossipsub: most start with sync
/// following nobody (`followPeers: false`), so only gossip — and the sync it asks for on a
/// gap — can move an event.
@Suite struct NodeGossipNetworkTests {
    /// Ten nodes in a line, none following another by sync: events appended to the middle
    /// node's store (outside its writer, as another process would) reach all ten, and no node
    /// stores anything else.
    @Test func eventsReachTenNodesByGossip() async throws {
        let nodes = try (0..<10).map { try TestNode(host: "127.0.0.\(50 + $0)", followPeers: false) }
        try await nodes[0].start()
        for index in 1..<nodes.count { try await nodes[index].start(bootstrap: nodes[index - 1].addresses) }
        try await waitForMeshes(nodes, neighbours: { $0 == 0 || $0 == nodes.count - 1 ? 1 : 2 })
        var feed = FeedBuilder(seed: 11)
        let events = (0..<3).map { feed.publish("acme", "lib\($0)", "1.0.0") }
        _ = try nodes[4].store.append(events, verification: .chain)
        try await eventually("every node has the events") {
            try nodes.allSatisfy { node in try events.allSatisfy { try node.has($0) } }
        }
        for node in nodes { #expect(try node.store.lastLocalSeq() == 3) }
        for node in nodes { await node.stop() }
    }

    /// A node that catches up 300 events by sync announces none of them (a mirror must not flood
    /// gossip); an event written on its own store afterwards is announced.
    @Test func eventsCaughtUpBySyncAreNotAnnounced() async throws {
        let source = try TestNode(host: "127.0.0.61")
        let follower = try TestNode(host: "127.0.0.62")
        let listener = try TestNode(host: "127.0.0.63", followPeers: false)
        var feeds = (0..<3).map { FeedBuilder(seed: UInt8(21 + $0)) }
        let old = (0..<300).map { feeds[$0 % 3].publish("scope\($0 % 3)", "old\($0)", "1.0.0") }
        _ = try source.store.append(old, verification: .chain)
        try await source.start()
        try await listener.start()
        try await follower.start(bootstrap: source.addresses + listener.addresses)
        try await eventually("the follower caught up") { try follower.store.lastLocalSeq() == 300 }
        try await waitForMeshes([listener], neighbours: { _ in 1 })
        var own = FeedBuilder(seed: 29)
        let fresh = own.publish("own", "fresh", "1.0.0")
        _ = try follower.store.append([fresh], verification: .chain)
        try await eventually("the listener got the follower's own event") { try listener.has(fresh) }
        #expect(try listener.store.lastLocalSeq() == 1, "none of the synced events was gossiped")
        for node in [follower, listener, source] { await node.stop() }
    }

    /// Nodes that do not follow each other by sync: B and C miss A's first event (it was in A's
    /// store before they met); gossip of the second is a gap for them, which makes them sync
    /// from A, so they end with both.
    @Test func aGapInGossipIsFilledBySyncFromTheSender() async throws {
        let a = try TestNode(host: "127.0.0.66", followPeers: false)
        let b = try TestNode(host: "127.0.0.67", followPeers: false)
        let c = try TestNode(host: "127.0.0.68", followPeers: false)
        var feed = FeedBuilder(seed: 31)
        let first = feed.publish("acme", "gap", "1.0.0")
        _ = try a.store.append([first], verification: .chain)
        try await a.start()
        try await b.start(bootstrap: a.addresses)
        try await c.start(bootstrap: a.addresses + b.addresses)
        try await waitForMeshes([a, b, c], neighbours: { _ in 2 })
        #expect(try !b.has(first) && !c.has(first))
        let second = feed.publish("acme", "gap", "1.1.0")
        _ = try a.store.append([second], verification: .chain)
        try await eventually("B and C have both events") {
            try [b, c].allSatisfy { try $0.has(first) && $0.has(second) }
        }
        for node in [c, b, a] { await node.stop() }
    }

    /// What a hostile peer gossips in place of an event.
    enum Forgery: String, CaseIterable, Sendable {
        /// A genuine event with one signed byte changed.
        case alteredBody
        /// A genuine event with one signature byte flipped.
        case flippedSignature
        /// Random bytes (seeded).
        case garbage
        /// A genuine event cut short.
        case truncated
    }

    /// A raw host that gossips a forged event to a node: it is rejected (nothing stored), the
    /// sender's gossip score goes negative, it is cut off like a forging sync peer (ban list,
    /// disconnected, not redialled) and an honest peer's events still arrive.
    @Test(arguments: Forgery.allCases) func forgedGossipIsRejectedAndItsSenderCutOff(forgery: Forgery) async throws {
        let honest = try TestNode(host: "127.0.0.71", followPeers: false)
        let victim = try TestNode(host: "127.0.0.72", followPeers: false)
        try await honest.start()
        try await victim.start(bootstrap: honest.addresses)
        let evil = P2PHost(identity: Identity.generate())
        try await withRunningHost(evil) { evil in
            let service = GossipService(host: evil) { _, _ in .accept }
            try await service.start()
            let run = Task { await service.run() }
            defer { run.cancel() }
            let topic = try #require(victim.node?.gossip.topic)
            await service.subscribe(topic)
            try await evil.connect(to: victim.addresses[0])
            await service.addPeer(victim.peerID)
            try await eventually("the victim is in the evil host's mesh") { await service.meshPeers(topic).contains(victim.peerID) }
            var generator = SeededGenerator(seed: 0xF0 + UInt64(Forgery.allCases.firstIndex(of: forgery)!))
            try await service.publish(Self.forge(forgery, using: &generator), topic: topic)
            try await eventually("the victim cut the evil host off") {
                let status = await victim.node?.status()
                return status?.cutOff.contains { $0.peerID == evil.peerID.base58 && $0.reason.contains("forged") } == true
                    && status?.peers.contains { $0.peerID == evil.peerID.base58 } == false
            }
            // P4: the router applies the verdict right after the validator returns.
            try await eventually("the evil host's gossip score is negative") {
                await (victim.node?.gossip.service.score(of: evil.peerID) ?? 0) < 0
            }
            try await eventually("the victim's log records the penalty") { try victim.hasPenalised(evil.peerID) }
            #expect(try victim.foreignEventCount() == 0, "nothing forged was stored")

            var feed = FeedBuilder(seed: 41)
            let genuine = feed.publish("honest", "pkg", "1.0.0")
            _ = try honest.store.append([genuine], verification: .chain)
            try await eventually("the honest event still arrives") { try victim.has(genuine) }
            #expect(await evil.connectedPeers.isEmpty)
            await service.stop()
        }
        await victim.stop()
        await honest.stop()
    }

    static func forge(_ forgery: Forgery, using generator: inout SeededGenerator) -> [UInt8] {
        var feed = FeedBuilder(seed: 200)
        var bytes = feed.publish("evil", "pkg", "1.0.0").bytes
        switch forgery {
        case .alteredBody:
            let marker = Array("evil".utf8)
            let at = (0...(bytes.count - marker.count)).first { Array(bytes[$0..<($0 + marker.count)]) == marker }!
            bytes[at] = UInt8(ascii: "d")
        case .flippedSignature:
            bytes[bytes.count - 1 - Int.random(in: 0..<64, using: &generator)] ^= 0x20
        case .garbage:
            bytes = (0..<Int.random(in: 1...600, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
        case .truncated:
            bytes.removeLast(Int.random(in: 1..<bytes.count, using: &generator))
        }
        return bytes
    }
}

/// Waits until every node's gossip mesh holds `neighbours(index)` peers, so a publish now
/// goes along the mesh rather than racing the subscriptions.
func waitForMeshes(_ nodes: [TestNode], neighbours: (Int) -> Int) async throws {
    for (index, node) in nodes.enumerated() {
        let expected = neighbours(index)
        try await eventually("node \(index) has \(expected) mesh peers") {
            guard let gossip = node.node?.gossip else { return false }
            return await gossip.service.meshPeers(gossip.topic).count >= expected
        }
    }
}
