@testable import AgoraWire
import AgoraTestSupport
import NIOCore
import NIOPosix
import Synchronization
import Testing

/// A yamux listener over real TCP and a raw client channel that never reads unless asked.
private struct RawPeer {
    let group: MultiThreadedEventLoopGroup
    let server: any Channel
    let client: any Channel
    let listener: YamuxSession
    let received: ByteCounter

    static func make(clientReads: Bool) async throws -> RawPeer {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let yamux = try await YamuxListener.start(group: group, sendBuffer: 4096)
        let received = ByteCounter()
        let client = try await ClientBootstrap(group: group)
            .channelOption(.autoRead, value: clientReads)
            .channelOption(.socketOption(.so_rcvbuf), value: clientReads ? 1 << 20 : 4096)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(received) }
            }
            .connect(to: yamux.server.localAddress!).get()
        let listener = try await yamux.accepted()
        return RawPeer(group: group, server: yamux.server, client: client, listener: listener, received: received)
    }

    func shutdown() async throws {
        try? await client.close()
        await listener.close()
        try await server.close()
        try await group.shutdownGracefully()
    }
}

@Suite struct YamuxBackPressureTests {
    /// 240,000 pings (2.9 MB) from a peer that never reads its pongs: without
    /// back-pressure every pong would queue in our process.
    @Test func aPeerThatNeverReadsCannotGrowOurOutputQueue() async throws {
        let peer = try await RawPeer.make(clientReads: false)
        var batch = ByteBuffer()
        for opaque in 0..<UInt32(24_000) {
            YamuxFrame.ping(flags: .syn, opaque: opaque).encode(into: &batch)
        }
        var largest = 0
        for _ in 0..<10 {
            peer.client.writeAndFlush(batch, promise: nil)
            largest = max(largest, try await peer.listener.queuedOutboundBytes())
        }
        for _ in 0..<50 {
            try await Task.sleep(for: .milliseconds(20))
            guard let queued = try? await peer.listener.queuedOutboundBytes() else { break }
            largest = max(largest, queued)
        }
        #expect(largest > 0, "the pongs did queue once the peer stopped reading")
        // Reads pause at the 64 KiB threshold; what the reads already in flight (at most
        // four 64 KiB socket reads) produce comes on top. Without the pause it is the flood.
        #expect(largest <= 384 * 1024)
        try await peer.shutdown()
    }

    /// The same flood read normally is answered in full: back-pressure pauses, never drops.
    @Test func aPeerThatReadsGetsEveryPong() async throws {
        let peer = try await RawPeer.make(clientReads: true)
        var batch = ByteBuffer()
        for opaque in 0..<UInt32(10_000) {
            YamuxFrame.ping(flags: .syn, opaque: opaque).encode(into: &batch)
        }
        for _ in 0..<5 { peer.client.writeAndFlush(batch, promise: nil) }
        try await eventually("every pong arrives", within: .seconds(30)) {
            peer.received.bytes.load(ordering: .relaxed) == 5 * 10_000 * YamuxFrame.headerLength
        }
        try await peer.shutdown()
    }
}

/// Counts received bytes on the client side.
private final class ByteCounter: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    let bytes = Atomic<Int>(0)

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        bytes.add(unwrapInboundIn(data).readableBytes, ordering: .relaxed)
    }
}

@Suite struct YamuxCancellationTests {
    @Test func cancellingAReadResetsTheStream() async throws {
        let pair = try await Loopback.make()
        let stream = try await pair.dialer.openStream()
        let reader = Task { try await stream.read() }
        var inbound = pair.listener.inboundStreams.makeAsyncIterator()
        let remote = try #require(await inbound.next())
        reader.cancel()
        await #expect(throws: CancellationError.self) { _ = try await reader.value }
        await #expect(throws: YamuxError.streamReset) { _ = try await remote.read() }
        try await pair.shutdown()
    }

    @Test func cancellingAWriteWaitingForWindowResetsTheStream() async throws {
        let pair = try await Loopback.make()
        let stream = try await pair.dialer.openStream()
        let writer = Task { try await stream.write(ByteBuffer(repeating: 1, count: 1 << 20)) }
        var inbound = pair.listener.inboundStreams.makeAsyncIterator()
        let remote = try #require(await inbound.next())
        try await eventually("the window fills") { (try? await remote.bufferedByteCount()) == Int(YamuxConfiguration.initialWindow) }
        writer.cancel()
        await #expect(throws: CancellationError.self) { try await writer.value }
        await #expect(throws: YamuxError.streamReset) { try await stream.write(ByteBuffer(bytes: [1])) }
        try await pair.shutdown()
    }

    @Test func anAlreadyCancelledTaskDoesNotWait() async throws {
        let pair = try await Loopback.make()
        let stream = try await pair.dialer.openStream()
        let reader = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await stream.read()
        }
        await #expect(throws: CancellationError.self) { _ = try await reader.value }
        try await pair.shutdown()
    }
}
