import Dispatch
import Foundation
import Logging
import NIOCore
import NIOPosix
import Testing
@testable import AgoraWire

/// Runs the shared py-libp2p reference peer for one test and stops it afterwards.
final class PythonPeer: @unchecked Sendable {
    static var python: String? {
        guard let path = ProcessInfo.processInfo.environment["AGORA_INTEROP_PYTHON"],
              FileManager.default.isExecutableFile(atPath: path)
        else { return nil }
        return path
    }

    /// `../shared/interop/peer.py` relative to the package root.
    static var script: URL {
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("../shared/interop/peer.py").standardizedFileURL
    }

    let process = Process()
    private let output = Pipe()
    private let input = Pipe()

    init(port: Int, seed: Int) throws {
        process.executableURL = URL(fileURLWithPath: try #require(Self.python))
        process.arguments = [Self.script.path, "--port", "\(port)", "--seed", "\(seed)", "--log-level", "ERROR"]
        process.standardOutput = output
        process.standardInput = input
        try process.run()
    }

    /// Reads the first stdout line, giving up (and killing the peer) after `seconds`.
    func readyLine(seconds: Int) async throws -> [String: Any] {
        let handle = output.fileHandleForReading
        let watchdog = DispatchWorkItem { [process] in if process.isRunning { process.terminate() } }
        DispatchQueue.global().asyncAfter(deadline: .now() + .seconds(seconds), execute: watchdog)
        defer { watchdog.cancel() }
        let line: Data = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                var data = Data()
                while !data.contains(UInt8(ascii: "\n")) && data.count < 1 << 16 {
                    let chunk = handle.availableData
                    if chunk.isEmpty { break }
                    data.append(chunk)
                }
                continuation.resume(returning: data)
            }
        }
        let first = line.split(separator: UInt8(ascii: "\n")).first ?? Data()
        let object = try JSONSerialization.jsonObject(with: Data(first))
        return try #require(object as? [String: Any])
    }

    /// Asks politely (EOF on stdin ends peer.py), then SIGTERM, then SIGKILL, each with a bounded wait.
    func stop() {
        try? input.fileHandleForWriting.close()
        for signal in [0, SIGTERM, SIGKILL] {
            if signal != 0 && process.isRunning { kill(process.processIdentifier, signal) }
            for _ in 0..<50 where process.isRunning { usleep(100_000) }
            if !process.isRunning { break }
        }
    }
}

@Suite struct NoiseInteropTests {
    static func freePort(group: EventLoopGroup) async throws -> Int {
        let probe = try await ServerBootstrap(group: group).bind(host: "127.0.0.1", port: 0).get()
        let port = try #require(probe.localAddress?.port)
        try await probe.close().get()
        return port
    }

    @Test(.enabled(if: PythonPeer.python != nil, "set AGORA_INTEROP_PYTHON to the py-libp2p venv python"))
    func dialPyLibp2pOverNoise() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let port = try await Self.freePort(group: group)
        let peer = try PythonPeer(port: port, seed: 7)
        defer { peer.stop() }
        let ready = try await peer.readyLine(seconds: 60)
        #expect(ready["event"] as? String == "ready")
        let printed = try PeerID(string: try #require(ready["peer_id"] as? String))
        let address = try Multiaddr(parsing: try #require(ready["addr"] as? String))
        #expect(address.peerID == printed)
        #expect(PeerID(publicKey: try seedKey(7).publicKey) == printed)

        let target = try #require(address.tcpHostAndPort)
        let (channel, secured) = try await SecureUpgradeTests.dial(
            group: group, port: target.port, seed: 1, expected: address.peerID
        )
        #expect(try await SecureUpgradeTests.withDeadline(secured, seconds: 20).get() == printed)
        try await channel.close().get()
        try await group.shutdownGracefully()
    }
}
