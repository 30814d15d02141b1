import AgoraCore
import Testing
@testable import AgoraWire

/// `P2PHost.peerEvents`: what protocol modules learn about peers, over real loopback connections.
@Suite struct PeerEventsTests {
    static func next(_ iterator: inout AsyncStream<PeerEvent>.Iterator) async -> PeerEvent? {
        await iterator.next()
    }

    /// Connected, then identified (with the protocols the peer serves), then disconnected
    /// once its last connection ends; a handler registered later arrives as a new
    /// `identified` through identify push. A late subscriber starts with the present.
    @Test func connectIdentifyPushAndDisconnect() async throws {
        let server = P2PHost(identity: Identity.generate())
        let client = P2PHost(identity: Identity.generate())
        try await withRunningHost(server) { server in
            try await withRunningHost(client) { client in
                let address = try await server.listen(on: Multiaddr(parsing: "/ip4/127.0.0.1/tcp/0")).withPeerID(server.peerID)
                var events = await client.peerEvents().makeAsyncIterator()
                try await client.connect(to: address)
                #expect(await Self.next(&events) == .connected(server.peerID, .outbound))
                guard case .identified(let info) = await Self.next(&events) else {
                    Issue.record("no identified event")
                    return
                }
                #expect(info.peer == server.peerID && info.protocols.contains(ProtocolIDs.ping))

                try await server.handle("/test/1.0.0") { _ in }
                guard case .identified(let pushed) = await Self.next(&events) else {
                    Issue.record("no event for the push")
                    return
                }
                #expect(pushed.protocols.contains("/test/1.0.0"))

                var late = await client.peerEvents().makeAsyncIterator()
                #expect(await Self.next(&late) == .connected(server.peerID, .outbound))
                guard case .identified(let present) = await Self.next(&late) else {
                    Issue.record("a late subscriber did not get the present")
                    return
                }
                #expect(present.protocols.contains("/test/1.0.0"))

                await client.disconnect(server.peerID)
                #expect(await Self.next(&events) == .disconnected(server.peerID))
            }
        }
    }

    /// A subscriber that never reads holds at most its limit; the newest events are kept.
    @Test func aSlowSubscriberIsBounded() async throws {
        var hub = PeerEventHub()
        let (stream, continuation) = AsyncStream.makeStream(of: PeerEvent.self, bufferingPolicy: .bufferingNewest(4))
        _ = hub.add(continuation)
        let peers = (0..<10).map { _ in PeerID(identity: Identity.generate()) }
        for peer in peers { hub.emit(.disconnected(peer)) }
        hub.finishAll()
        var received: [PeerEvent] = []
        for await event in stream { received.append(event) }
        #expect(received == peers.suffix(4).map { .disconnected($0) })
        #expect(hub.dropped == 6)
    }
}
