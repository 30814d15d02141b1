@testable import AgoraWire
import AgoraCore
import AgoraTestSupport
import Crypto
import NIOCore
import NIOPosix
import Testing

/// A host whose `run()` lives in a task, for tests whose hosts outlive one scope (where a
/// scope fits, `withRunningHost` is simpler).
struct RunningHost {
    let host: P2PHost
    private let runner: Task<Void, any Error>

    init(_ host: P2PHost) {
        self.host = host
        runner = Task { try await host.run() }
    }

    /// Shuts the host down and waits for its `run()` to return.
    func shutdown() async throws {
        await host.shutdown()
        try await runner.value
    }
}

/// Running hosts on 127.0.0.1 sharing one event loop group, shut down together.
struct HostPair {
    let group: MultiThreadedEventLoopGroup
    private let running: [RunningHost]
    let address: Multiaddr
    var listener: P2PHost { running[0].host }
    var dialer: P2PHost { running[1].host }

    static func make(
        listenerConfiguration: HostConfiguration = HostConfiguration(),
        dialerConfiguration: HostConfiguration = HostConfiguration()
    ) async throws -> HostPair {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let listener = P2PHost(identity: try Identity(seed: [11] + Array(repeating: 0, count: 31)), configuration: listenerConfiguration, group: group)
        let dialer = P2PHost(identity: try Identity(seed: [12] + Array(repeating: 0, count: 31)), configuration: dialerConfiguration, group: group)
        let bound = try await listener.listen(on: Multiaddr(parsing: "/ip4/127.0.0.1/tcp/0"))
        return HostPair(group: group, running: [RunningHost(listener), RunningHost(dialer)], address: bound.withPeerID(listener.peerID))
    }

    func shutdown() async throws {
        try await running[1].shutdown()
        try await running[0].shutdown()
        try await group.shutdownGracefully()
    }
}

/// Deterministic pseudo-random bytes per stream.
func streamPattern(count: Int, seed: UInt64) -> [UInt8] {
    var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
    var out = [UInt8](repeating: 0, count: count)
    for index in 0..<count {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        out[index] = UInt8(truncatingIfNeeded: state)
    }
    return out
}


@Suite struct HostLoopbackTests {
    static let echoProtocol = "/agora/test/echo/1.0.0"

    @Test func connectIdentifyAndPing() async throws {
        let pair = try await HostPair.make()
        let connection = try await pair.dialer.connect(to: pair.address)
        #expect(connection.remotePeer == pair.listener.peerID)
        #expect(connection.direction == .outbound)

        let info = try await pair.dialer.identify(pair.listener.peerID)
        #expect(info.peer == pair.listener.peerID)
        #expect(info.agentVersion == "agora/0.1.0")
        #expect(Set(info.protocols) == [ProtocolIDs.identify, ProtocolIDs.identifyPush, ProtocolIDs.ping])
        #expect(info.listenAddrs == [pair.address.withoutPeerID])
        #expect(info.observedAddr?.tcpHostAndPort?.host == "127.0.0.1")

        let rtts = try await pair.dialer.ping(pair.listener.peerID, count: 3)
        #expect(rtts.count == 3)
        #expect(rtts.allSatisfy { $0 > .zero })

        try await eventually("listener sees the dialer") { await pair.listener.connectedPeers == [pair.dialer.peerID] }
        let again = try await pair.dialer.connect(to: pair.address)
        #expect(again.id == connection.id, "a second dial reuses the connection")
        try await pair.shutdown()
    }

    @Test func dialRejectsTheWrongPeerID() async throws {
        let pair = try await HostPair.make()
        let impostor = PeerID(identity: try Identity(seed: [99] + Array(repeating: 0, count: 31)))
        await #expect(throws: (any Error).self) {
            try await pair.dialer.connect(to: pair.address.withPeerID(impostor))
        }
        #expect(await pair.dialer.connectionCount == 0)
        try await pair.shutdown()
    }

    @Test func identifyPushAnnouncesNewProtocols() async throws {
        let pair = try await HostPair.make()
        try await pair.dialer.connect(to: pair.address)
        try await pair.dialer.identify(pair.listener.peerID)
        try await pair.listener.handle(Self.echoProtocol) { _ in }
        try await eventually("push reaches the dialer") {
            await pair.dialer.peerInfo(pair.listener.peerID)?.protocols.contains(Self.echoProtocol) == true
        }
        try await pair.shutdown()
    }

    @Test func handlersRegisteredBeforeListeningKeepTheBuiltins() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let host = P2PHost(identity: try Identity(seed: [13] + Array(repeating: 0, count: 31)), group: group)
        try await host.handle(Self.echoProtocol) { _ in }
        #expect(await host.supportedProtocols == [ProtocolIDs.identify, ProtocolIDs.identifyPush, ProtocolIDs.ping, Self.echoProtocol])
        await host.shutdown()
        try await group.shutdownGracefully()
    }

    @Test func unsupportedProtocolIsRefused() async throws {
        let pair = try await HostPair.make()
        try await pair.dialer.connect(to: pair.address)
        await #expect(throws: HostError.protocolNotSupported(["/nope/1.0.0"])) {
            try await pair.dialer.newStream(to: pair.listener.peerID, protocols: ["/nope/1.0.0"])
        }
        let rtts = try await pair.dialer.ping(pair.listener.peerID)
        #expect(rtts.count == 1, "the connection survives a refused protocol")
        try await pair.shutdown()
    }

    /// 100 concurrent streams, each echoing 512 KiB: 50 MiB each way, 100 MiB in total,
    /// checked with SHA-256 per stream.
    @Test func hundredConcurrentStreamsMoveHundredMiB() async throws {
        let pair = try await HostPair.make()
        try await pair.listener.handle(Self.echoProtocol) { stream in
            while let chunk = try await stream.read() {
                try await stream.write(chunk)
            }
        }
        try await pair.dialer.connect(to: pair.address)
        let perStream = 512 * 1024
        // Generated before any stream opens: 50 MiB of pattern in a debug build would otherwise
        // hold the two cooperative threads long enough to starve stream negotiation.
        let payloads = (0..<100).map { streamPattern(count: perStream, seed: UInt64($0)) }
        let digests = payloads.map { SHA256.hash(data: $0) }
        let results = try await withThrowingTaskGroup(of: Bool.self) { group in
            for index in 0..<100 {
                group.addTask {
                    let stream = try await pair.dialer.newStream(to: pair.listener.peerID, protocols: [Self.echoProtocol])
                    let payload = payloads[index]
                    async let sent: Void = {
                        var offset = 0
                        while offset < payload.count {
                            let end = min(offset + 64 * 1024, payload.count)
                            try await stream.write(Array(payload[offset..<end]))
                            offset = end
                        }
                        try await stream.closeWrite()
                    }()
                    var hasher = SHA256()
                    var received = 0
                    while let chunk = try await stream.read() {
                        chunk.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
                        received += chunk.readableBytes
                    }
                    try await sent
                    return received == perStream && hasher.finalize() == digests[index]
                }
            }
            var all: [Bool] = []
            for try await ok in group { all.append(ok) }
            return all
        }
        #expect(results.count == 100)
        #expect(results.allSatisfy { $0 })
        try await pair.shutdown()
    }

    /// A task may still hold a stream when the event loops behind it are gone; its writes must
    /// fail (a hop to a stopped loop is dropped and would never resume).
    @Test(.timeLimit(.minutes(1))) func streamOutlivingItsEventLoopsFailsWrites() async throws {
        let pair = try await HostPair.make()
        try await pair.listener.handle(Self.echoProtocol) { stream in
            while let chunk = try await stream.read() { try await stream.write(chunk) }
        }
        try await pair.dialer.connect(to: pair.address)
        let stream = try await pair.dialer.newStream(to: pair.listener.peerID, protocols: [Self.echoProtocol])
        try await stream.write([1, 2, 3])
        try await pair.shutdown()
        await #expect(throws: (any Error).self) { try await stream.write([4, 5, 6]) }
        await #expect(throws: (any Error).self) { try await stream.closeWrite() }
        await stream.reset()
    }

    @Test func shutdownClosesConnectionsAndRefusesDials() async throws {
        let pair = try await HostPair.make()
        try await pair.dialer.connect(to: pair.address)
        try await eventually("listener registers the connection") { await pair.listener.connectionCount == 1 }
        await pair.listener.shutdown()
        try await eventually("dialer notices the close") { await pair.dialer.connectionCount == 0 }
        await #expect(throws: HostError.shutDown) {
            try await pair.listener.connect(to: pair.address)
        }
        try await pair.shutdown()
    }
}
