import Crypto
import Logging
import NIOCore
import NIOPosix
import Testing
@testable import AgoraWire

/// Writes back whatever plaintext it reads.
final class EchoHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.writeAndFlush(wrapOutboundOut(unwrapInboundIn(data)), promise: nil)
    }
}

/// Collects plaintext until `expected` bytes arrived.
final class CollectHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let expected: Int
    private let promise: EventLoopPromise<[UInt8]>
    private var received: [UInt8] = []

    init(expected: Int, promise: EventLoopPromise<[UInt8]>) {
        self.expected = expected
        self.promise = promise
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        received += unwrapInboundIn(data).readableBytesView
        if received.count >= expected { promise.succeed(received) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        promise.fail(ConnectionUpgradeError.connectionClosed(stage: "collect"))
    }
}

struct TestTimeout: Error {}

@Suite struct SecureUpgradeTests {
    static let logger = Logger(label: "agora.wire.test")

    /// A listener that secures each connection and echoes the plaintext.
    static func echoServer(group: EventLoopGroup, seed: UInt8, timeout: TimeAmount = .seconds(10)) async throws -> Channel {
        let identity = try seedKey(seed)
        return try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                SecureUpgrade.configure(
                    channel: channel, role: .responder, identity: identity,
                    options: .init(timeout: timeout), logger: logger
                ).whenSuccess { _ in
                    try? channel.pipeline.syncOperations.addHandler(EchoHandler())
                }
                return channel.eventLoop.makeSucceededVoidFuture()
            }
            .bind(host: "127.0.0.1", port: 0).get()
    }

    /// Dials `port`, secures the connection expecting `expected`, and returns the channel and the authenticated peer.
    static func dial(
        group: EventLoopGroup, port: Int, seed: UInt8, expected: PeerID?, collect: Int = 0,
        collected: EventLoopPromise<[UInt8]>? = nil
    ) async throws -> (Channel, EventLoopFuture<PeerID>) {
        let identity = try seedKey(seed)
        let secured = group.next().makePromise(of: PeerID.self)
        let channel = try await ClientBootstrap(group: group)
            .connectTimeout(.seconds(5))
            .channelInitializer { channel in
                let future = SecureUpgrade.configure(
                    channel: channel, role: .initiator, identity: identity, expectedRemotePeer: expected, logger: logger
                )
                future.whenSuccess { _ in
                    if let collected {
                        try? channel.pipeline.syncOperations.addHandler(CollectHandler(expected: collect, promise: collected))
                    }
                }
                future.cascade(to: secured)
                return channel.eventLoop.makeSucceededVoidFuture()
            }
            .connect(host: "127.0.0.1", port: port).get()
        return (channel, secured.futureResult)
    }

    static func withDeadline<T: Sendable>(_ future: EventLoopFuture<T>, seconds: Int64 = 15) -> EventLoopFuture<T> {
        let promise = future.eventLoop.makePromise(of: T.self)
        let task = future.eventLoop.scheduleTask(in: .seconds(seconds)) { promise.fail(TestTimeout()) }
        future.whenComplete { result in
            task.cancel()
            promise.completeWith(result)
        }
        return promise.futureResult
    }

    @Test func securesLoopbackConnectionAndEchoes() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let server = try await Self.echoServer(group: group, seed: 2)
        let port = try #require(server.localAddress?.port)
        let payload = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }
        let collected = group.next().makePromise(of: [UInt8].self)
        let serverPeer = PeerID(publicKey: try seedKey(2).publicKey)
        let (client, secured) = try await Self.dial(
            group: group, port: port, seed: 1, expected: serverPeer, collect: payload.count, collected: collected
        )
        #expect(try await Self.withDeadline(secured).get() == serverPeer)
        try await client.writeAndFlush(ByteBuffer(bytes: payload[..<1000])).get()
        try await client.writeAndFlush(ByteBuffer(bytes: payload[1000...])).get()
        let echoed = try await Self.withDeadline(collected.futureResult).get()
        #expect(echoed == payload)
        try await client.close().get()
        try await server.close().get()
        try await group.shutdownGracefully()
    }

    @Test func dialRejectsWrongPeerID() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let server = try await Self.echoServer(group: group, seed: 2)
        let port = try #require(server.localAddress?.port)
        let wrong = PeerID(publicKey: try seedKey(3).publicKey)
        let (client, secured) = try await Self.dial(group: group, port: port, seed: 1, expected: wrong)
        await #expect(throws: NoiseError.peerIDMismatch(expected: wrong, actual: PeerID(publicKey: try seedKey(2).publicKey))) {
            _ = try await Self.withDeadline(secured).get()
        }
        try await Self.withDeadline(client.closeFuture).get()
        try await server.close().get()
        try await group.shutdownGracefully()
    }

    @Test func stalledHandshakeIsClosedAfterTimeout() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let server = try await Self.echoServer(group: group, seed: 2, timeout: .milliseconds(300))
        let port = try #require(server.localAddress?.port)
        // A raw client that connects and never speaks.
        let silent = try await ClientBootstrap(group: group).connect(host: "127.0.0.1", port: port).get()
        try await Self.withDeadline(silent.closeFuture, seconds: 10).get()
        #expect(!silent.isActive)
        try await server.close().get()
        try await group.shutdownGracefully()
    }

    @Test func garbageAfterNegotiationClosesConnection() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let server = try await Self.echoServer(group: group, seed: 2)
        let port = try #require(server.localAddress?.port)
        let raw = try await ClientBootstrap(group: group).connect(host: "127.0.0.1", port: port).get()
        var bytes = MultistreamMachine.encode(ProtocolIDs.multistream) + MultistreamMachine.encode(ProtocolIDs.noise)
        bytes += [0x00, 0x05, 1, 2, 3, 4, 5]
        try await raw.writeAndFlush(ByteBuffer(bytes: bytes)).get()
        try await Self.withDeadline(raw.closeFuture, seconds: 10).get()
        try await server.close().get()
        try await group.shutdownGracefully()
    }
}
