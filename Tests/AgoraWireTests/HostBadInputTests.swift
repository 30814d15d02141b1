@testable import AgoraWire
import AgoraCore
import AgoraTestSupport
import NIOCore
import NIOPosix
import Testing

/// Hostile or broken peers: each gets its connection closed (with a log line from the layer
/// that caught it) while the listener keeps serving well-behaved peers.
@Suite struct HostBadInputTests {
    static func rawConnection(group: any EventLoopGroup, to address: Multiaddr) async throws -> any Channel {
        let (host, port) = try #require(address.tcpHostAndPort)
        return try await ClientBootstrap(group: group).connect(host: host, port: port).get()
    }

    /// A fresh host can still connect and ping the listener.
    static func listenerStillServes(_ pair: HostPair, seed: UInt8) async throws {
        let other = P2PHost(identity: try Identity(seed: [seed] + Array(repeating: 0, count: 31)), group: pair.group)
        try await withRunningHost(other) { other in
            try await other.connect(to: pair.address)
            #expect(try await other.ping(pair.listener.peerID).count == 1)
        }
    }

    static func closes(_ channel: any Channel, within limit: Duration) async throws -> Bool {
        (try? await withWireTimeout(limit, operation: "waiting for close") { try await channel.closeFuture.get() }) != nil
    }

    @Test func randomBytesAreRejected() async throws {
        let pair = try await HostPair.make()
        for round in 0..<3 {
            let channel = try await Self.rawConnection(group: pair.group, to: pair.address)
            let garbage = streamPattern(count: 4096, seed: UInt64(round))
            try await channel.writeAndFlush(ByteBuffer(bytes: garbage))
            #expect(try await Self.closes(channel, within: .seconds(10)))
        }
        try await Self.listenerStillServes(pair, seed: 31)
        try await pair.shutdown()
    }

    @Test func truncatedHandshakesAreDropped() async throws {
        var configuration = HostConfiguration()
        configuration.upgrade.timeout = .milliseconds(300)
        let pair = try await HostPair.make(listenerConfiguration: configuration)
        let header = Array("\u{13}/multistream/1.0.0\n\u{07}/noise\n".utf8)
        for cut in [0, 5, header.count, header.count + 10] {
            let channel = try await Self.rawConnection(group: pair.group, to: pair.address)
            var bytes = Array(header.prefix(cut))
            if cut > header.count { bytes += [0, 32] + Array(repeating: 7, count: 8) }
            if !bytes.isEmpty { try await channel.writeAndFlush(ByteBuffer(bytes: bytes)) }
            #expect(try await Self.closes(channel, within: .seconds(5)), "stalled after \(cut) bytes")
        }
        try await Self.listenerStillServes(pair, seed: 32)
        try await pair.shutdown()
    }

    @Test func streamFloodIsLimited() async throws {
        var configuration = HostConfiguration()
        configuration.upgrade.yamux.maxInboundStreams = 8
        configuration.streamNegotiationTimeout = .seconds(30)
        let pair = try await HostPair.make(listenerConfiguration: configuration)
        let connection = try await pair.dialer.connect(to: pair.address)
        var streams: [YamuxStream] = []
        for _ in 0..<50 {
            streams.append(try await connection.session.openStream())
        }
        var resets = 0
        var silent = 0
        for stream in streams {
            do {
                _ = try await withWireTimeout(.milliseconds(500), operation: "read") { try await stream.read() }
            } catch YamuxError.streamReset {
                resets += 1
            } catch is WireTimeoutError {
                silent += 1
            }
        }
        #expect(resets >= 42, "streams beyond the limit are reset")
        #expect(silent <= 8)
        for stream in streams { stream.reset() }
        try await eventually("a slot frees up for ping") {
            (try? await pair.dialer.ping(pair.listener.peerID, timeout: .seconds(2)))?.count == 1
        }
        try await pair.shutdown()
    }

    @Test func oversizeFrameClosesOnlyThatConnection() async throws {
        let pair = try await HostPair.make()
        let connection = try await pair.dialer.connect(to: pair.address)
        var frame = ByteBuffer()
        frame.writeInteger(UInt8(0))
        frame.writeInteger(UInt8(0))
        frame.writeInteger(UInt16(1))
        frame.writeInteger(UInt32(1001))
        frame.writeInteger(UInt32(4 * 1024 * 1024))
        frame.writeBytes(Array(repeating: 0, count: 1024))
        try await connection.channel.writeAndFlush(frame)
        #expect(try await Self.closes(connection.channel, within: .seconds(10)))
        try await eventually("listener forgets the connection") { await pair.listener.connectionCount == 0 }
        try await Self.listenerStillServes(pair, seed: 33)
        try await pair.shutdown()
    }
}
