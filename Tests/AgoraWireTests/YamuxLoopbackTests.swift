import NIOCore
import NIOPosix
import Testing
@testable import AgoraWire

/// A TCP listener on 127.0.0.1 that runs a yamux responder on every accepted connection.
struct YamuxListener {
    let server: any Channel
    let sessions: AsyncStream<YamuxSession>

    /// - Parameter sendBuffer: a small kernel send buffer makes our own output queue fill sooner.
    static func start(
        group: any EventLoopGroup, configuration: YamuxConfiguration = YamuxConfiguration(), sendBuffer: Int? = nil
    ) async throws -> YamuxListener {
        let (sessions, accepted) = AsyncStream.makeStream(of: YamuxSession.self, bufferingPolicy: .bufferingOldest(1))
        var bootstrap = ServerBootstrap(group: group)
        if let sendBuffer {
            bootstrap = bootstrap.childChannelOption(.socketOption(.so_sndbuf), value: SocketOptionValue(sendBuffer))
        }
        let server = try await bootstrap
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    accepted.yield(try YamuxSession.configure(on: channel, role: .responder, configuration: configuration))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return YamuxListener(server: server, sessions: sessions)
    }

    /// The session of the next accepted connection.
    func accepted() async throws -> YamuxSession {
        var iterator = sessions.makeAsyncIterator()
        return try #require(await iterator.next())
    }
}

/// Two yamux sessions over a real TCP connection on 127.0.0.1.
struct Loopback {
    let group: MultiThreadedEventLoopGroup
    let server: any Channel
    let client: any Channel
    let dialer: YamuxSession
    let listener: YamuxSession

    static func make(listenerConfiguration: YamuxConfiguration = YamuxConfiguration()) async throws -> Loopback {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let yamux = try await YamuxListener.start(group: group, configuration: listenerConfiguration)
        let client = try await ClientBootstrap(group: group).connect(to: yamux.server.localAddress!).get()
        let dialer = try await YamuxSession.install(on: client, role: .initiator).get()
        let listener = try await yamux.accepted()
        return Loopback(group: group, server: yamux.server, client: client, dialer: dialer, listener: listener)
    }

    func shutdown() async throws {
        await dialer.close()
        await listener.close()
        try await server.close()
        try await group.shutdownGracefully()
    }
}

/// A deterministic byte pattern per stream, and FNV-1a to compare what arrived.
private func pattern(count: Int, seed: UInt64) -> [UInt8] {
    var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
    return (0..<count).map { _ in
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return UInt8(truncatingIfNeeded: state)
    }
}

private struct Checksum {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    var count = 0

    mutating func add(_ buffer: ByteBuffer) {
        for byte in buffer.readableBytesView {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        count += buffer.readableBytes
    }
}

private func checksum(_ bytes: [UInt8]) -> Checksum {
    var sum = Checksum()
    sum.add(ByteBuffer(bytes: bytes))
    return sum
}

private func readAll(_ stream: YamuxStream) async throws -> Checksum {
    var sum = Checksum()
    while let chunk = try await stream.read() { sum.add(chunk) }
    return sum
}

private func echo(_ stream: YamuxStream) async throws {
    while let chunk = try await stream.read() {
        try await stream.write(chunk)
    }
    try await stream.closeWrite()
}

private actor Progress {
    private(set) var completedWrites = 0
    func completed() { completedWrites += 1 }
}

@Suite struct YamuxLoopbackTests {
    @Test func hundredConcurrentStreamsEchoTwentyMiBEachWay() async throws {
        let loopback = try await Loopback.make()
        let listener = loopback.listener
        let server = Task {
            await withTaskGroup(of: Void.self) { group in
                for await stream in listener.inboundStreams {
                    group.addTask { try? await echo(stream) }
                }
            }
        }

        let streamCount = 100
        let perStream = 210 * 1024
        let chunk = 16 * 1024
        let dialer = loopback.dialer
        let results = try await withThrowingTaskGroup(of: (Checksum, Checksum).self) { group in
            for index in 0..<streamCount {
                group.addTask {
                    let payload = pattern(count: perStream, seed: UInt64(index + 1))
                    let stream = try await dialer.openStream()
                    async let received = readAll(stream)
                    var offset = 0
                    while offset < payload.count {
                        let end = min(offset + chunk, payload.count)
                        try await stream.write(ByteBuffer(bytes: payload[offset..<end]))
                        offset = end
                    }
                    try await stream.closeWrite()
                    return (checksum(payload), try await received)
                }
            }
            var all: [(Checksum, Checksum)] = []
            for try await result in group { all.append(result) }
            return all
        }

        #expect(results.count == streamCount)
        for (sent, received) in results {
            #expect(received.count == perStream)
            #expect(received.hash == sent.hash)
        }
        let total = results.reduce(0) { $0 + $1.1.count }
        #expect(total >= 20 * 1024 * 1024)

        try await loopback.shutdown()
        await server.value
    }

    @Test func slowReaderMakesTheWriterWaitInsteadOfBuffering() async throws {
        let loopback = try await Loopback.make()
        var inbound = loopback.listener.inboundStreams.makeAsyncIterator()
        let stream = try await loopback.dialer.openStream()
        let chunk = 64 * 1024
        let chunks = 32
        let progress = Progress()
        let writer = Task {
            for index in 0..<chunks {
                try await stream.write(ByteBuffer(bytes: pattern(count: chunk, seed: UInt64(index))))
                await progress.completed()
            }
            try await stream.closeWrite()
        }

        let remote = try #require(await inbound.next())
        // The 256 KiB window takes exactly four 64 KiB writes; wait for them (bounded).
        for _ in 0..<1000 where await progress.completedWrites < 4 {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(await progress.completedWrites == 4)
        // With nobody reading, the writer stays suspended and the reader's buffer stays
        // within the window.
        try await Task.sleep(for: .milliseconds(300))
        #expect(await progress.completedWrites == 4)
        #expect(try await remote.bufferedByteCount() <= Int(YamuxConfiguration.initialWindow))

        let received = try await readAll(remote)
        try await writer.value
        #expect(received.count == chunk * chunks)
        #expect(await progress.completedWrites == chunks)

        try await remote.closeWrite()
        try await loopback.shutdown()
    }

    @Test func pingMeasuresRoundTrip() async throws {
        let loopback = try await Loopback.make()
        let rtt = try await loopback.dialer.ping()
        #expect(rtt > .zero)
        let reverse = try await loopback.listener.ping()
        #expect(reverse > .zero)
        try await loopback.shutdown()
    }

    @Test func resetReachesThePeer() async throws {
        let loopback = try await Loopback.make()
        var inbound = loopback.listener.inboundStreams.makeAsyncIterator()
        let stream = try await loopback.dialer.openStream()
        try await stream.write(ByteBuffer(string: "hello"))
        let remote = try #require(await inbound.next())
        stream.reset()
        await #expect(throws: YamuxError.streamReset) {
            while try await remote.read() != nil {}
        }
        await #expect(throws: YamuxError.streamReset) { try await stream.write(ByteBuffer(string: "x")) }
        try await loopback.shutdown()
    }

    @Test func closingTheConnectionFailsPendingWork() async throws {
        let loopback = try await Loopback.make()
        var inbound = loopback.listener.inboundStreams.makeAsyncIterator()
        let stream = try await loopback.dialer.openStream()
        try await stream.write(ByteBuffer(string: "hi"))
        let remote = try #require(await inbound.next())
        #expect(try await remote.read() == ByteBuffer(string: "hi"))

        let pendingRead = Task { try await stream.read() }
        await loopback.listener.close()
        await #expect(throws: YamuxError.connectionClosed) { try await pendingRead.value }
        await #expect(throws: YamuxError.sessionClosed) { try await remote.read() }
        await #expect(throws: YamuxError.connectionClosed) { try await loopback.dialer.openStream() }
        #expect(await inbound.next() == nil)
        try await loopback.shutdown()
    }

    @Test func inboundStreamLimitResetsTheExcess() async throws {
        let loopback = try await Loopback.make(listenerConfiguration: YamuxConfiguration(maxInboundStreams: 1))
        var inbound = loopback.listener.inboundStreams.makeAsyncIterator()
        let first = try await loopback.dialer.openStream()
        try await first.write(ByteBuffer(string: "a"))
        let accepted = try #require(await inbound.next())
        #expect(try await accepted.read() == ByteBuffer(string: "a"))

        let second = try await loopback.dialer.openStream()
        await #expect(throws: YamuxError.streamReset) {
            while try await second.read() != nil {}
        }
        first.reset()
        try await loopback.shutdown()
    }
}
