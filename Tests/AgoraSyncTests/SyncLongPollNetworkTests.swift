import AgoraCore
import AgoraSync
import AgoraTestSupport
import AgoraWire
import Testing

/// A caught-up client's request is held by the server until the log grows (a long poll); a
/// client that goes away must not keep that handler, and its wait, until the timeout.
@Suite struct SyncLongPollNetworkTests {
    enum Departure: CaseIterable { case resetsTheStream, closesTheConnection }

    /// Handshakes get a minute: the suite runs on loaded 2-core machines.
    static var patient: HostConfiguration {
        var configuration = HostConfiguration()
        configuration.upgrade.timeout = .seconds(60)
        configuration.streamNegotiationTimeout = .seconds(60)
        return configuration
    }

    /// The server's wait is an hour, so only the client's departure can end it within the test.
    @Test(arguments: Departure.allCases)
    func aDepartedClientsLongPollIsDropped(departure: Departure) async throws {
        var feed = FeedBuilder(seed: 77)
        let log = MemoryLog([feed.publish("scope", "held", "1.0.0")])
        let watcher = LogWatcher(latest: 1)
        let limits = SyncLimits(maxWait: .seconds(3600))
        let handled = AsyncStream.makeStream(of: Void.self)
        let server = P2PHost(identity: Identity.generate(), configuration: Self.patient)
        let client = P2PHost(identity: Identity.generate(), configuration: Self.patient)
        try await withRunningHost(server) { server in
            try await server.handle(SyncProtocol.id) { stream in
                defer { handled.continuation.yield() }
                try await SyncProtocol.serve(stream, source: log, watcher: watcher, limits: limits)
            }
            let address = try await server.listen(on: Multiaddr(parsing: "/ip4/127.0.0.1/tcp/0")).withPeerID(server.peerID)
            try await withRunningHost(client) { client in
                _ = try await client.connect(to: address)
                let stream = try await client.newStream(to: server.peerID, protocols: [SyncProtocol.id])
                let request = SyncRequestFrame(id: 1, request: .changes(after: 1, upTo: 100, waitMillis: UInt32.max))
                try await stream.writeLengthPrefixed(SyncCodec.encode(request))
                try await eventually("the server holds the request") { await watcher.waiting == 1 }
                switch departure {
                case .resetsTheStream: await stream.reset()
                case .closesTheConnection: await client.disconnect(server.peerID)
                }
                try await eventually("the server dropped the request", within: .seconds(60)) { await watcher.waiting == 0 }
                _ = await handled.stream.first { _ in true }
            }
        }
    }

    /// The race does not cost a client that stays: news ends the wait with the events.
    @Test func aWaitingClientGetsTheNewEvent() async throws {
        var feed = FeedBuilder(seed: 78)
        let first = feed.publish("scope", "first", "1.0.0")
        let second = feed.publish("scope", "second", "1.0.0")
        let log = MemoryLog([first])
        let watcher = LogWatcher(latest: 1)
        let server = P2PHost(identity: Identity.generate(), configuration: Self.patient)
        let client = P2PHost(identity: Identity.generate(), configuration: Self.patient)
        try await withRunningHost(server) { server in
            try await server.handle(SyncProtocol.id) { stream in
                try await SyncProtocol.serve(stream, source: log, watcher: watcher, limits: SyncLimits(maxWait: .seconds(3600)))
            }
            let address = try await server.listen(on: Multiaddr(parsing: "/ip4/127.0.0.1/tcp/0")).withPeerID(server.peerID)
            try await withRunningHost(client) { client in
                _ = try await client.connect(to: address)
                let stream = try await client.newStream(to: server.peerID, protocols: [SyncProtocol.id])
                let request = SyncRequestFrame(id: 7, request: .changes(after: 1, upTo: 100, waitMillis: UInt32.max))
                try await stream.writeLengthPrefixed(SyncCodec.encode(request))
                try await eventually("the server holds the request") { await watcher.waiting == 1 }
                log.append([second])
                await watcher.advance(to: 2)
                let reply = try #require(try await stream.readLengthPrefixed(maxLength: 1 << 20))
                let frame = try SyncCodec.decodeResponse(reply, limits: SyncLimits())
                #expect(frame.id == 7)
                guard case .events(let events, _, _, _) = frame.response else {
                    Issue.record("expected events, got \(frame.response)")
                    return
                }
                #expect(events == [second])
                await stream.reset()
            }
        }
    }
}
