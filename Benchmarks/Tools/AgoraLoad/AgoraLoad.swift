import AgoraCore
import AgoraWire
import Foundation
import Logging
import NIOCore
import NIOPosix

/// `agora-load --connect ADDR --server-pid PID [--stages 512,5000] [--sources 50]
/// [--flood-connections 16] [--flood-pings 10000000] [--flood-seconds 30]`: measures the
/// resident memory of a running `agora serve` (from /proc) with no connections, after each
/// stage of authenticated idle connections (each with its own throwaway identity, spread over
/// 127.0.0.2… so the per-address limits apply as they would to that many hosts), and after
/// some of them flood it with yamux pings, first reading the pongs, then never reading them.
/// Loopback only; every phase is bounded in count and time.
@main
enum AgoraLoad {
    struct Options {
        var address: Multiaddr?
        var serverPID: Int32 = 0
        var stages = [512, 5000]
        var sources = 50
        var floodConnections = 16
        var floodPings = 10_000_000
        var floodSeconds = 30.0
        var settle = 3.0
    }

    static func main() async throws {
        let options = try parse(Array(CommandLine.arguments.dropFirst()))
        guard let address = options.address, let (host, port) = address.tcpHostAndPort else {
            fail("--connect needs a /ip4/…/tcp/… address")
        }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        var open: [any Channel] = []
        report("idle, 0 connections", options)
        for stage in options.stages {
            let started = ContinuousClock.now
            open += try await connect(count: stage - open.count, from: open.count, host: host, port: port, options: options, group: group)
            let took = ContinuousClock.now - started
            await waitForSteadyMemory(options)
            report("\(open.count) authenticated idle connections (opened in \(took))", options)
        }
        let flooders = Array(open.prefix(options.floodConnections))
        var started = ContinuousClock.now
        var (sent, peak) = await flood(flooders, pings: options.floodPings, options: options)
        report("after \(sent) pings on \(flooders.count) connections, pongs read (peak \(peak / 1024) MiB, \(ContinuousClock.now - started))", options)
        for channel in flooders { try await channel.setOption(.autoRead, value: false).get() }
        started = ContinuousClock.now
        (sent, peak) = await flood(flooders, pings: options.floodPings, options: options)
        report("after \(sent) pings on \(flooders.count) connections never reading a pong (peak \(peak / 1024) MiB, \(ContinuousClock.now - started))", options)
        for channel in flooders { try? await channel.close() }
        await waitForSteadyMemory(options)
        report("after the flooding connections closed", options)
        for channel in open { channel.close(promise: nil) }
        await waitForSteadyMemory(options)
        report("after all connections closed", options)
        try await group.shutdownGracefully()
    }

    /// Opens `count` upgraded connections, 64 handshakes at a time.
    static func connect(
        count: Int, from first: Int, host: String, port: Int, options: Options, group: any EventLoopGroup
    ) async throws -> [any Channel] {
        var logger = Logger(label: "agora-load")
        logger.logLevel = .critical
        let quiet = logger
        return try await withThrowingTaskGroup(of: (any Channel).self) { tasks in
            var channels: [any Channel] = []
            var next = first
            func start() {
                let index = next
                next += 1
                tasks.addTask {
                    let source = "127.0.\((2 + index % options.sources) / 256).\((2 + index % options.sources) % 256)"
                    let upgraded = group.next().makePromise(of: ConnectionUpgrader.Upgraded.self)
                    let channel = try await ClientBootstrap(group: group)
                        .bind(to: try SocketAddress(ipAddress: source, port: 0))
                        .channelInitializer { channel in
                            ConnectionUpgrader.configure(
                                channel: channel, role: .initiator, identity: Identity.generate().privateKey, logger: quiet
                            ).cascade(to: upgraded)
                            return channel.eventLoop.makeSucceededVoidFuture()
                        }
                        .connect(host: host, port: port).get()
                    _ = try await upgraded.futureResult.get()
                    return channel
                }
            }
            for _ in 0..<min(64, count) { start() }
            while let channel = try await tasks.next() {
                channels.append(channel)
                if next < first + count { start() }
            }
            return channels
        }
    }

    /// Writes up to `pings` yamux pings spread over `channels` (encrypted by their Noise
    /// handlers), each write waiting for the previous one to reach the socket, so this process
    /// never buffers the flood; stops at `floodSeconds` by closing the channels if they are
    /// still stuck. Samples the server's RSS meanwhile; returns pings written and the peak in KiB.
    static func flood(_ channels: [any Channel], pings: Int, options: Options) async -> (sent: Int, peak: Int) {
        var batch = ByteBuffer()
        let perBatch = 4096
        for opaque in 0..<UInt32(perBatch) { YamuxFrame.ping(flags: .syn, opaque: opaque).encode(into: &batch) }
        let perChannel = pings / max(1, channels.count)
        let deadline = ContinuousClock.now + .seconds(options.floodSeconds)
        let sampler = Task {
            var peak = rss(options.serverPID) ?? 0
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(50))
                peak = max(peak, rss(options.serverPID) ?? 0)
                if ContinuousClock.now >= deadline {
                    for channel in channels { channel.close(promise: nil) }
                }
            }
            return peak
        }
        let sent = await withTaskGroup(of: Int.self) { group in
            for channel in channels {
                group.addTask { [batch] in
                    var written = 0
                    while written < perChannel, ContinuousClock.now < deadline {
                        do { try await channel.writeAndFlush(batch).get() } catch { break }
                        written += perBatch
                    }
                    return written
                }
            }
            return await group.reduce(0, +)
        }
        // The server may still be working through what reached its socket: keep sampling until
        // its memory stops moving.
        await waitForSteadyMemory(options)
        sampler.cancel()
        return (sent, max(await sampler.value, rss(options.serverPID) ?? 0))
    }

    static func rss(_ pid: Int32) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") })
        else { return nil }
        return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
    }

    /// Waits until the server has absorbed what was just done: its RSS changes by less than
    /// 64 KiB over five readings 100 ms apart, or `--settle` seconds pass (then the report is
    /// taken as it stands). A reading taken mid-change would credit the stage with a number
    /// it has not reached yet.
    static func waitForSteadyMemory(_ options: Options) async {
        let deadline = ContinuousClock.now + .seconds(options.settle)
        var readings: [Int] = []
        while ContinuousClock.now < deadline, let current = rss(options.serverPID) {
            readings.append(current)
            if readings.count >= 5, let low = readings.suffix(5).min(), let high = readings.suffix(5).max(), high - low < 64 {
                return
            }
            try? await Task.sleep(for: .milliseconds(100))
        }
    }

    static func report(_ stage: String, _ options: Options) {
        let kib = rss(options.serverPID) ?? 0
        print(String(format: "%8.1f MiB  %@", Double(kib) / 1024, stage))
        fflush(nil)
    }

    static func parse(_ arguments: [String]) throws -> Options {
        var options = Options()
        var rest = arguments
        while !rest.isEmpty {
            let flag = rest.removeFirst()
            guard !rest.isEmpty else { fail("\(flag) needs a value") }
            let value = rest.removeFirst()
            switch flag {
            case "--connect": options.address = try Multiaddr(parsing: value)
            case "--server-pid": options.serverPID = Int32(value) ?? 0
            case "--stages": options.stages = value.split(separator: ",").compactMap { Int($0) }
            case "--sources": options.sources = max(1, min(Int(value) ?? 50, 60_000))
            case "--flood-connections": options.floodConnections = Int(value) ?? 16
            case "--flood-pings": options.floodPings = Int(value) ?? 10_000_000
            case "--flood-seconds": options.floodSeconds = Double(value) ?? 30
            case "--settle": options.settle = Double(value) ?? 3
            default: fail("unknown option \(flag)")
            }
        }
        guard options.serverPID > 0, rss(options.serverPID) != nil else { fail("--server-pid must name a running process") }
        return options
    }

    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("agora-load: \(message)\n".utf8))
        exit(2)
    }
}
