import AgoraCore
import AgoraNode
import AgoraStore
import AgoraSync
import AgoraTestSupport
import AgoraWire
import Foundation
import Testing

/// Several nodes in one process on loopback, replicating through `/agora/sync/1.0.0`.
@Suite struct NodeSyncNetworkTests {
    /// A line A – B – C: an event appended to A's store (as `agora publish` in another
    /// process would) reaches B directly and C through B, and nothing else is invented.
    @Test func aPublishOnOneNodeReachesTheOthers() async throws {
        let a = try TestNode(host: "127.0.0.11")
        let b = try TestNode(host: "127.0.0.12")
        let c = try TestNode(host: "127.0.0.13")
        try await a.start()
        try await b.start(bootstrap: a.addresses)
        try await c.start(bootstrap: b.addresses)
        var feed = FeedBuilder(seed: 61)
        let events = (0..<3).map { feed.publish("acme", "lib\($0)", "1.0.0") }
        _ = try a.store.append(events, verification: .chain)
        try await eventually("B and C have the events") {
            try events.allSatisfy { try b.has($0) && c.has($0) }
        }
        #expect(try c.store.lastLocalSeq() == 3)
        await c.stop()
        await b.stop()
        await a.stop()
    }

    /// A mirror stopped while its peer takes 10,000 events resumes from its stored position:
    /// the peer sends it exactly the new events, not its whole log again.
    @Test func aRestartedMirrorResumesFromItsStoredPosition() async throws {
        let a = try TestNode(host: "127.0.0.21")
        let mirror = try TestNode(host: "127.0.0.22", mirror: true)
        var feeds = (0..<4).map { FeedBuilder(seed: UInt8(70 + $0)) }
        let first = (0..<100).map { feeds[$0 % 4].publish("scope\($0 % 4)", "first\($0)", "1.0.0") }
        _ = try a.store.append(first, verification: .chain)
        try await a.start()
        try await mirror.start(bootstrap: a.addresses)
        try await eventually("the mirror has the first 100") { try mirror.store.syncPosition(of: a.peerID.bytes) == 100 }
        await mirror.stop()

        var later: [Event] = []
        for index in 0..<10_000 { later.append(feeds[index % 4].publish("scope\(index % 4)", "later\(index)", "1.0.0")) }
        for chunk in stride(from: 0, to: later.count, by: 1000) {
            _ = try a.store.append(Array(later[chunk..<(chunk + 1000)]), verification: .chain)
        }
        try await mirror.start(bootstrap: a.addresses)
        try await eventually("the mirror caught up", within: .seconds(120)) {
            try mirror.store.syncPosition(of: a.peerID.bytes) == 10_100
        }
        #expect(try later.allSatisfy { try mirror.has($0) })
        #expect(try mirror.store.lastLocalSeq() == 10_100)
        let status = await mirror.peerStatus(a.peerID)
        #expect(status?.eventsReceived == 10_000, "resumed at 100, so only the 10,000 new events were sent")
        #expect(status?.syncLag == 0)
        await mirror.stop()
        await a.stop()
    }

    /// The test drives what a hostile server replies to the node's first sync request.
    enum Attack: String, CaseIterable, Sendable {
        case forgedEvents, garbage, oversizedFrame, forgedHeads
    }

    /// A peer that answers sync with forged events, garbage or an oversized frame is cut off
    /// (disconnected, not redialled), nothing it sent is stored, and replication with an
    /// honest peer carries on.
    @Test(arguments: Attack.allCases) func aMaliciousPeerIsCutOffAndNothingIsStored(attack: Attack) async throws {
        let honest = try TestNode(host: "127.0.0.31")
        let victim = try TestNode(host: "127.0.0.32")
        var feed = FeedBuilder(seed: 81)
        let genuine = (0..<5).map { feed.publish("good", "pkg\($0)", "1.0.0") }
        _ = try honest.store.append(genuine, verification: .chain)

        let evil = P2PHost(identity: Identity.generate())
        try await withRunningHost(evil) { evil in
            try await evil.handle(SyncProtocol.id) { stream in
                // Answered by kind, so the attack lands whether the victim leads the catch-up
                // with this peer (changes first) or skims it (an empty probe, then heads).
                while let request = try await stream.readLengthPrefixed(maxLength: 1 << 20) {
                    let frame = try SyncCodec.decodeRequest(request, limits: SyncLimits())
                    switch (attack, frame.request) {
                    // A victim that already holds events says so first (`holdings`).
                    case (.forgedEvents, .holdings(let feeds)), (.forgedHeads, .holdings(let feeds)):
                        try await stream.writeLengthPrefixed(SyncCodec.encode(SyncResponseFrame(id: frame.id, response: .kept(feeds.count))))
                        continue
                    case (.forgedEvents, .changes(let after, let upTo, _)) where after == upTo:
                        try await stream.writeLengthPrefixed(SyncCodec.encode(SyncResponseFrame(
                            id: frame.id, response: .events([], through: after, latest: 3))))
                        continue
                    case (.forgedEvents, _):
                        try await stream.writeLengthPrefixed(SyncCodec.encode(SyncResponseFrame(
                            id: frame.id, response: .events(Self.forged(count: 3), through: 3, latest: 3))))
                    case (.garbage, _):
                        var generator = SeededGenerator(seed: 5)
                        try await stream.writeLengthPrefixed((0..<500).map { _ in UInt8.random(in: 0...255, using: &generator) })
                    case (.oversizedFrame, _):
                        try await stream.write(Varint.encode(64 << 20) + [UInt8](repeating: 0, count: 4096))
                    case (.forgedHeads, .changes(let after, _, _)):
                        try await stream.writeLengthPrefixed(SyncCodec.encode(SyncResponseFrame(
                            id: frame.id, response: .events([], through: after, latest: 0))))
                        continue
                    case (.forgedHeads, _):
                        try await stream.writeLengthPrefixed(SyncCodec.encode(SyncResponseFrame(
                            id: frame.id, response: .heads(Self.forged(count: 2), more: false))))
                    }
                    break
                }
                _ = try await stream.readToEnd(maxLength: 1 << 20)
            }
            let evilAddress = try await evil.listen(on: Multiaddr(parsing: "/ip4/127.0.0.33/tcp/0")).withPeerID(evil.peerID)
            try await honest.start()
            try await victim.start(bootstrap: [evilAddress] + honest.addresses)
            try await eventually("the victim has the honest peer's events") { try genuine.allSatisfy { try victim.has($0) } }
            try await eventually("the victim cut the evil peer off") {
                let status = await victim.node?.status()
                return status?.cutOff.contains { $0.peerID == evil.peerID.base58 } == true
                    && status?.peers.contains { $0.peerID == evil.peerID.base58 } == false
            }
            let reason = await victim.node?.status().cutOff.first?.reason ?? ""
            let expected = switch attack {
            case .forgedEvents, .forgedHeads: "forged event"
            case .garbage: "malformed"
            case .oversizedFrame: "exceeds the limit"
            }
            #expect(reason.contains(expected), "\(reason)")
            try await eventually("the victim's log records the penalty") { try victim.hasPenalised(evil.peerID) }
            #expect(try victim.foreignEventCount() == genuine.count, "nothing from the evil peer was stored")
            #expect(try victim.store.syncPosition(of: evil.peerID.bytes) == 0, "a forged batch does not move the position")
            // Not redialled: once its side has seen the close, the evil host stays without
            // connections across several redial rounds.
            try await eventually("the evil host sees its connection closed") { await evil.connectedPeers.isEmpty }
            try await Task.sleep(for: .seconds(1))
            #expect(await evil.connectedPeers.isEmpty)
            await victim.stop()
            await honest.stop()
        }
    }

    /// A client that sends the node's sync server garbage or an oversized frame loses that
    /// stream; the server goes on answering a proper request on a new stream.
    @Test func garbageFromAClientOnlyEndsItsStream() async throws {
        let node = try TestNode(host: "127.0.0.41")
        var feed = FeedBuilder(seed: 91)
        _ = try node.store.append([feed.publish("acme", "one", "1.0.0")], verification: .chain)
        try await node.start()
        let client = P2PHost(identity: Identity.generate())
        try await withRunningHost(client) { client in
            let connection = try await client.connect(to: node.addresses[0])
            for attack in [Varint.encode(64 << 20), Varint.encode(10) + [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]] {
                let stream = try await client.newStream(on: connection, protocols: [SyncProtocol.id])
                try await stream.write(attack)
                await #expect(throws: (any Error).self) {
                    _ = try await stream.readToEnd(maxLength: 1 << 20)
                    throw CancellationError()
                }
            }
            let stream = try await client.newStream(on: connection, protocols: [SyncProtocol.id])
            try await stream.writeLengthPrefixed(SyncCodec.encode(SyncRequestFrame(id: 1, request: .changes(after: 0, upTo: .max, waitMillis: 0))))
            let reply = try #require(try await stream.readLengthPrefixed(maxLength: SyncLimits().maxFrameLength))
            let frame = try SyncCodec.decodeResponse(reply, limits: SyncLimits())
            guard case .events(let events, let through, let latest, _) = frame.response else {
                Issue.record("unexpected reply \(frame)")
                return
            }
            #expect(events.count == 1 && through == 1 && latest == 1)
            await stream.reset()
        }
        await node.stop()
    }

    /// Events whose signatures do not verify: genuine events of one-event feeds with one
    /// byte of the signed body changed.
    static func forged(count: Int) -> [Event] {
        (0..<count).map { index in
            var feed = FeedBuilder(seed: UInt8(200 + index))
            var bytes = feed.publish("evil", "pkg", "1.0.0").bytes
            let marker = Array("pkg".utf8)
            let at = (0...(bytes.count - marker.count)).first { Array(bytes[$0..<($0 + 3)]) == marker }!
            bytes[at + 2] = UInt8(ascii: "h")
            return try! Event(decoding: bytes)
        }
    }
}
