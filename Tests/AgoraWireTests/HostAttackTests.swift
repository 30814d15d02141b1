@testable import AgoraWire
import AgoraCore
import AgoraTestSupport
import Foundation
import NIOCore
import NIOPosix
import Testing

/// Attacks on the listener's limits from several loopback addresses (127.0.0.0/8 is all
/// loopback, so an attacker on 127.0.0.x is a different address from a peer on 127.0.0.1).
@Suite struct HostAttackTests {
    /// A TCP connection to `address` from `source`, sending nothing.
    static func silentSocket(from source: String, to address: Multiaddr, group: any EventLoopGroup) async throws -> any Channel {
        let (host, port) = try #require(address.tcpHostAndPort)
        return try await ClientBootstrap(group: group)
            .bind(to: try SocketAddress(ipAddress: source, port: 0))
            .connect(host: host, port: port).get()
    }

    /// Whether the other side closes `channel` within `limit`; gives up at the limit (waiting
    /// on the close future itself could not be cancelled).
    static func closes(_ channel: any Channel, within limit: Duration) async -> Bool {
        let answer = channel.eventLoop.makePromise(of: Bool.self)
        let answered = NIOLoopBoundBox.makeBoxSendingValue(false, as: Bool.self, eventLoop: channel.eventLoop)
        let settle: @Sendable (Bool) -> Void = { closed in
            guard !answered.value else { return }
            answered.value = true
            answer.succeed(closed)
        }
        channel.closeFuture.whenComplete { _ in settle(true) }
        let nanoseconds = max(0, limit.components.seconds * 1_000_000_000 + limit.components.attoseconds / 1_000_000_000)
        channel.eventLoop.scheduleTask(in: .nanoseconds(nanoseconds)) { settle(false) }
        return (try? await answer.futureResult.get()) ?? false
    }

    /// Keeps one silent socket open from `source` until `deadline`, reconnecting at once
    /// whenever the listener closes it.
    static func holdSlot(from source: String, to address: Multiaddr, group: any EventLoopGroup, until deadline: ContinuousClock.Instant) async {
        while ContinuousClock.now < deadline, !Task.isCancelled {
            guard let channel = try? await silentSocket(from: source, to: address, group: group) else {
                try? await Task.sleep(for: .milliseconds(5))
                continue
            }
            _ = await Self.closes(channel, within: deadline - .now)
            try? await channel.close()
        }
    }

    /// An authenticated connection from `source` with a fresh identity, upgraded by hand.
    static func throwawayPeer(from source: String, to address: Multiaddr, group: any EventLoopGroup) async throws -> any Channel {
        let (host, port) = try #require(address.tcpHostAndPort)
        let upgraded = group.next().makePromise(of: ConnectionUpgrader.Upgraded.self)
        let channel = try await ClientBootstrap(group: group)
            .bind(to: try SocketAddress(ipAddress: source, port: 0))
            .channelInitializer { channel in
                ConnectionUpgrader.configure(
                    channel: channel, role: .initiator, identity: Identity.generate().privateKey, logger: .init(label: "attacker")
                ).cascade(to: upgraded)
                return channel.eventLoop.makeSucceededVoidFuture()
            }
            .connect(host: host, port: port).get()
        _ = try await upgraded.futureResult.get()
        return channel
    }

    @Test func reconnectingSlowlorisDoesNotLockOutAPeer() async throws {
        let pair = try await HostPair.make()
        let deadline = ContinuousClock.now + .seconds(6)
        // 10 addresses × 10 sockets: more than the 64 handshake slots and than the
        // per-address limit, each socket reconnecting as soon as it is dropped.
        let attack = Task {
            await withDiscardingTaskGroup { group in
                for address in 2..<12 {
                    for _ in 0..<10 {
                        group.addTask { await Self.holdSlot(from: "127.0.0.\(address)", to: pair.address, group: pair.group, until: deadline) }
                    }
                }
            }
        }
        try await eventually("the attack fills the handshake table") {
            await pair.listener.pendingHandshakeCount == ConnectionLimits().maxPendingInbound
        }
        let rtt = try await withWireTimeout(.seconds(1), operation: "connecting and pinging under attack") {
            try await pair.dialer.connect(to: pair.address)
            return try await pair.dialer.ping(pair.listener.peerID)
        }
        #expect(rtt.count == 1)
        attack.cancel()
        await attack.value
        try await pair.shutdown()
    }

    @Test func oneAddressCannotTakeEverySlotWithThrowawayIdentities() async throws {
        var configuration = HostConfiguration()
        configuration.limits = ConnectionLimits(maxConnections: 8, reservedForOutbound: 1, maxConnectionsPerAddress: 3)
        configuration.identifyOnConnect = false
        let pair = try await HostPair.make(listenerConfiguration: configuration)
        var attackers: [any Channel] = []
        for _ in 0..<6 {
            if let channel = try? await Self.throwawayPeer(from: "127.0.0.2", to: pair.address, group: pair.group) {
                attackers.append(channel)
            }
        }
        try await eventually("the listener settles at the per-address limit") { await pair.listener.connectionCount == 3 }
        try await Task.sleep(for: .milliseconds(200))
        #expect(await pair.listener.connectionCount == 3)
        for source in ["127.0.0.3", "127.0.0.4"] {
            attackers.append(try await Self.throwawayPeer(from: source, to: pair.address, group: pair.group))
        }
        try await eventually("other addresses still get in") { await pair.listener.connectionCount == 5 }
        try await HostBadInputTests.listenerStillServes(pair, seed: 40)
        for channel in attackers { try? await channel.close() }
        try await pair.shutdown()
    }

    /// Two processes with one identity (two CLI commands at once) both get served, and a
    /// third replaces an idle older connection instead of being refused.
    @Test func oneIdentityMayConnectFromSeveralProcesses() async throws {
        let pair = try await HostPair.make()
        let shared = try Identity(seed: Array(repeating: 44, count: 32))
        var clients: [RunningHost] = []
        for _ in 0..<3 {
            let client = RunningHost(P2PHost(identity: shared, group: pair.group))
            clients.append(client)
            try await client.host.connect(to: pair.address)
            #expect(try await client.host.ping(pair.listener.peerID).count == 1)
        }
        #expect(await pair.listener.connectionCount <= ConnectionLimits().maxConnectionsPerPeer)
        #expect(try await clients[2].host.ping(pair.listener.peerID).count == 1, "the newest connection is kept")
        for client in clients { try await client.shutdown() }
        try await pair.shutdown()
    }

    @Test func aFloodOfRefusedConnectionsLogsBoundedSummaries() async throws {
        let logs = CapturedLogs()
        var configuration = HostConfiguration()
        configuration.limits.maxPendingInboundPerAddress = 1
        configuration.logSummaryInterval = .milliseconds(500)
        configuration.maintenanceInterval = .milliseconds(100)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let running = RunningHost(P2PHost(identity: .generate(), configuration: configuration, group: group, logger: logs.logger()))
        let address = try await running.host.listen(on: Multiaddr(parsing: "/ip4/127.0.0.1/tcp/0"))
        let started = ContinuousClock.now
        var refused = 0
        var held: [any Channel] = []
        for _ in 0..<300 {
            let channel = try await Self.silentSocket(from: "127.0.0.5", to: address, group: group)
            if await Self.closes(channel, within: .seconds(2)) {
                refused += 1
            } else {
                held.append(channel)
            }
        }
        try await Task.sleep(for: .milliseconds(700))
        let elapsed = ContinuousClock.now - started
        #expect(refused >= 299)
        let loud = logs.all.filter { $0.level >= .info }
        let summaries = loud.filter { $0.message.contains("per-address handshake limit") }
        #expect(!summaries.isEmpty, "the flood is summarised")
        #expect(loud.count <= 1 + Int(elapsed / .milliseconds(500)) + 1, "one listening line plus one summary per interval")
        #expect(summaries.reduce(0) { $0 + (Int($1.message.prefix { $0 != " " }) ?? 0) } == refused)
        #expect(logs.all.filter { $0.level == .debug && $0.message.contains("refusing inbound connection") }.count == refused)
        for channel in held { try? await channel.close() }
        try await running.shutdown()
        try await group.shutdownGracefully()
    }

    @Test func shutdownDoesNotHangOnAStuckHandler() async throws {
        let pair = try await HostPair.make()
        let entered = AsyncStream.makeStream(of: Void.self)
        try await pair.listener.handle("/stuck/1.0.0") { _ in
            entered.continuation.yield()
            // Ignores the stream; only cancellation ends it.
            try await Task.sleep(for: .seconds(3600))
        }
        try await pair.dialer.connect(to: pair.address)
        let stream = try await pair.dialer.newStream(to: pair.listener.peerID, protocols: ["/stuck/1.0.0"])
        var iterator = entered.stream.makeAsyncIterator()
        await iterator.next()
        let finished = try await withWireTimeout(.seconds(30), operation: "host shutdown") {
            await pair.listener.shutdown()
            return true
        }
        #expect(finished)
        await stream.reset()
        try await pair.shutdown()
    }

    /// Cancelling the task that runs the host is how a service lifecycle stops it: every
    /// in-flight handler sees the cancellation and `run()` returns.
    @Test func cancellingRunCancelsInFlightHandlers() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let listener = P2PHost(identity: .generate(), group: group)
        let entered = AsyncStream.makeStream(of: Void.self)
        let cancelled = AsyncStream.makeStream(of: Void.self)
        try await listener.handle("/waits/1.0.0") { _ in
            entered.continuation.yield()
            // Ignores the stream; only cancellation ends it.
            do {
                try await Task.sleep(for: .seconds(3600))
            } catch is CancellationError {
                cancelled.continuation.yield()
            }
        }
        let runner = Task { try await listener.run() }
        let address = try await listener.listen(on: Multiaddr(parsing: "/ip4/127.0.0.1/tcp/0")).withPeerID(listener.peerID)
        let dialer = RunningHost(P2PHost(identity: .generate(), group: group))
        try await dialer.host.connect(to: address)
        var streams: [P2PStream] = []
        for _ in 0..<3 {
            streams.append(try await dialer.host.newStream(to: listener.peerID, protocols: ["/waits/1.0.0"]))
        }
        var entries = entered.stream.makeAsyncIterator()
        for _ in streams { await entries.next() }

        runner.cancel()
        let returned = try await withWireTimeout(.seconds(30), operation: "run() after cancellation") {
            try await runner.value
            return true
        }
        #expect(returned)
        var cancellations = cancelled.stream.makeAsyncIterator()
        for _ in streams { await cancellations.next() }
        // Connections close on their event loops and report back to the actor afterwards.
        try await eventually("cancellation shut the host's connections", within: .seconds(30)) { await listener.connectionCount == 0 }
        await #expect(throws: HostError.shutDown) { try await listener.listen(on: Multiaddr(parsing: "/ip4/127.0.0.1/tcp/0")) }
        for stream in streams { await stream.reset() }
        try await dialer.shutdown()
        try await group.shutdownGracefully()
    }
}
