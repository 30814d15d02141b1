import AgoraCore
import AgoraWire
import Benchmark
import Foundation
import NIOPosix

/// One listener host on 127.0.0.1 with a sink and an echo protocol, and one connected
/// dialer, shared by the benchmarks (both ends run in this process).
actor WireFixture {
    static let sink = "/agora/bench/sink/1.0.0"
    static let echo = "/agora/bench/echo/1.0.0"

    let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
    private var listening: (host: P2PHost, address: Multiaddr)?
    private var connected: P2PHost?

    static var quiet: HostConfiguration {
        var configuration = HostConfiguration()
        configuration.identifyOnConnect = false
        return configuration
    }

    func listener() async throws -> (host: P2PHost, address: Multiaddr) {
        if let listening { return listening }
        let host = P2PHost(identity: Identity.generate(), configuration: Self.quiet, group: group)
        try await host.handle(Self.sink) { stream in
            var total: UInt64 = 0
            while let chunk = try await stream.read() { total += UInt64(chunk.readableBytes) }
            try await stream.write(withUnsafeBytes(of: total.bigEndian) { Array($0) })
        }
        try await host.handle(Self.echo) { stream in
            while let chunk = try await stream.read() { try await stream.write(chunk) }
        }
        Self.runForever(host)
        let bound = try await host.listen(on: Multiaddr(parsing: "/ip4/127.0.0.1/tcp/0"))
        listening = (host, bound.withPeerID(host.peerID))
        return (host, bound.withPeerID(host.peerID))
    }

    func dialer() async throws -> (host: P2PHost, peer: PeerID) {
        let (listener, address) = try await listener()
        if let connected { return (connected, listener.peerID) }
        let host = P2PHost(identity: Identity.generate(), configuration: Self.quiet, group: group)
        Self.runForever(host)
        try await host.connect(to: address)
        connected = host
        return (host, listener.peerID)
    }

    /// The fixture's hosts serve every benchmark, so their `run()` lasts as long as the process.
    private static func runForever(_ host: P2PHost) {
        Task { try await host.run() }
    }
}

let fixture = WireFixture()

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .throughput], maxDuration: .seconds(5))

    Benchmark("Wire.handshake (TCP dial + Noise XX + yamux)", configuration: .init(maxIterations: 2000)) { benchmark in
        let (_, address) = try! await fixture.listener()
        for _ in benchmark.scaledIterations {
            let host = P2PHost(identity: Identity.generate(), configuration: WireFixture.quiet, group: fixture.group)
            try! await withRunningHost(host) { host in blackHole(try await host.connect(to: address)) }
        }
    }

    let chunk = [UInt8](repeating: 0x5a, count: 64 * 1024)
    let streamBytes = 32 * 1024 * 1024
    let mibPerSecond = BenchmarkMetric.custom("MiB/s over one stream", polarity: .prefersLarger, useScalingFactor: false)
    Benchmark(
        "Wire.stream throughput (32 MiB one way, one stream)",
        configuration: .init(metrics: [.wallClock, mibPerSecond], maxDuration: .seconds(10), maxIterations: 30)
    ) { benchmark in
        let (host, peer) = try! await fixture.dialer()
        for _ in benchmark.scaledIterations {
            let started = ContinuousClock.now
            let stream = try! await host.newStream(to: peer, protocols: [WireFixture.sink])
            var sent = 0
            while sent < streamBytes {
                try! await stream.write(chunk)
                sent += chunk.count
            }
            try! await stream.closeWrite()
            let reply = try! await stream.readExactly(8)
            precondition(reply.reduce(0) { $0 << 8 | UInt64($1) } == UInt64(streamBytes))
            _ = try! await stream.read()
            let elapsed = seconds(ContinuousClock.now - started)
            benchmark.measurement(mibPerSecond, Int(Double(streamBytes) / 1_048_576 / elapsed))
        }
    }

    Benchmark("Wire.stream open + negotiate + 32-byte echo + close") { benchmark in
        let (host, peer) = try! await fixture.dialer()
        let payload = [UInt8](repeating: 7, count: 32)
        for _ in benchmark.scaledIterations {
            let stream = try! await host.newStream(to: peer, protocols: [WireFixture.echo])
            try! await stream.write(payload)
            blackHole(try! await stream.readExactly(32))
            try! await stream.closeWrite()
            _ = try! await stream.read()
        }
    }

    Benchmark("Wire.ping RTT (/ipfs/ping/1.0.0, one stream per ping)") { benchmark in
        let (host, peer) = try! await fixture.dialer()
        for _ in benchmark.scaledIterations {
            blackHole(try! await host.ping(peer))
        }
    }
}
