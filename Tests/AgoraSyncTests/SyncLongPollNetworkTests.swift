import AgoraCore
import AgoraSync
import AgoraTestSupport
import AgoraWire
import Testing

/// A caught-up client's request is held by the server until the log grows (a long poll); a
/// client that goes away must not keep that handler, and its wait, until the timeout.
@Suite struct SyncLongPollNetworkTests {
    enum Departure: CaseIterable { case resetsTheStream, closesTheConnection }

    /// Serves `log` over a real host (a wait of up to an hour, so only the client can end it),
    /// connects a client, sends a `changes` request past the log's end with `id` and runs `body`
    /// once the server holds it. `handled` hears when the server's handler has returned.
    static func withHeldRequest(
        id: UInt64, log: MemoryLog, watcher: LogWatcher, handled: AsyncStream<Void>.Continuation? = nil,
        _ body: (P2PHost, P2PHost, P2PStream) async throws -> Void
    ) async throws {
        // Handshakes get a minute: the suite runs on loaded 2-core machines.
        var patient = HostConfiguration()
        patient.upgrade.timeout = .seconds(60)
        patient.streamNegotiationTimeout = .seconds(60)
        let server = P2PHost(identity: Identity.generate(), configuration: patient)
        let client = P2PHost(identity: Identity.generate(), configuration: patient)
        let limits = SyncLimits(maxWait: .seconds(3600))
        try await withRunningHost(server) { server in
            try await server.handle(SyncProtocol.id) { stream in
                defer { handled?.yield() }
                try await SyncProtocol.serve(stream, source: log, watcher: watcher, limits: limits)
            }
            let address = try await server.listen(on: Multiaddr(parsing: "/ip4/127.0.0.1/tcp/0")).withPeerID(server.peerID)
            try await withRunningHost(client) { client in
                _ = try await client.connect(to: address)
                let stream = try await client.newStream(to: server.peerID, protocols: [SyncProtocol.id])
                let after = await watcher.latest
                let request = SyncRequestFrame(id: id, request: .changes(after: after, upTo: after + 100, waitMillis: UInt32.max))
                try await stream.writeLengthPrefixed(SyncCodec.encode(request))
                try await eventually("the server holds the request") { await watcher.waiting == 1 }
                try await body(server, client, stream)
            }
        }
    }

    @Test(arguments: Departure.allCases)
    func aDepartedClientsLongPollIsDropped(departure: Departure) async throws {
        var feed = FeedBuilder(seed: 77)
        let log = MemoryLog([feed.publish("scope", "held", "1.0.0")])
        let watcher = LogWatcher(latest: 1)
        let handled = AsyncStream.makeStream(of: Void.self)
        try await Self.withHeldRequest(id: 1, log: log, watcher: watcher, handled: handled.continuation) { server, client, stream in
            switch departure {
            case .resetsTheStream: await stream.reset()
            case .closesTheConnection: await client.disconnect(server.peerID)
            }
            try await eventually("the server dropped the request", within: .seconds(60)) { await watcher.waiting == 0 }
            _ = await handled.stream.first { _ in true }
        }
    }

    /// The race does not cost a client that stays: news ends the wait with the events.
    @Test func aWaitingClientGetsTheNewEvent() async throws {
        var feed = FeedBuilder(seed: 78)
        let first = feed.publish("scope", "first", "1.0.0")
        let second = feed.publish("scope", "second", "1.0.0")
        let log = MemoryLog([first])
        let watcher = LogWatcher(latest: 1)
        try await Self.withHeldRequest(id: 7, log: log, watcher: watcher) { _, _, stream in
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
