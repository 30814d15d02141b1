import Foundation

/// One JSON line from the py-libp2p harness (`tools/interop/py_peer.py`); which fields are
/// present depends on the command.
struct PyPeerLine: Decodable, Sendable {
    var event: String
    var op: String?
    var ok: Bool?
    var error: String?
    var peer_id: String?
    var addr: String?
    var rtts_ms: [Double]?
    var agent_version: String?
    var protocol_version: String?
    var protocols: [String]?
    var listen_addrs: [String]?
    var observed_addr: String?
    var peerstore_protocols: [String]?
    var connected: [String]?
}

struct PyPeerError: Error, CustomStringConvertible {
    let description: String
}

/// Runs the py-libp2p harness as a child process. Every wait is bounded: when a reply
/// does not come in time the process is killed, which ends its output and fails the
/// wait. `stop()` kills it whatever state it is in. Used from one test task.
final class PyPeerProcess {
    /// The venv's python, from `AGORA_INTEROP_PYTHON` (the test command sets it).
    static var python: String? {
        guard let path = ProcessInfo.processInfo.environment["AGORA_INTEROP_PYTHON"], !path.isEmpty else { return nil }
        return FileManager.default.isExecutableFile(atPath: path) ? path : nil
    }

    static var script: URL {
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("tools/interop/py_peer.py")
    }

    private let process = Process()
    private let input = Pipe()
    private let output = Pipe()
    private var lines: AsyncStream<String>.Iterator
    private(set) var ready = PyPeerLine(event: "starting")

    /// Starts the harness with ed25519 seed `seed` and waits for its ready line.
    init(python: String, seed: Int, timeout: Duration = .seconds(60)) async throws {
        let (stream, continuation) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .bufferingNewest(4096))
        lines = stream.makeAsyncIterator()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [Self.script.path, "--seed", String(seed)]
        process.standardInput = input
        process.standardOutput = output
        let reader = output.fileHandleForReading
        Thread.detachNewThread {
            var buffer = Data()
            while true {
                let data = reader.availableData
                if data.isEmpty { break }
                buffer.append(data)
                while let newline = buffer.firstIndex(of: 0x0A) {
                    continuation.yield(String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self))
                    buffer.removeSubrange(buffer.startIndex...newline)
                }
            }
            continuation.finish()
        }
        try process.run()
        do {
            ready = try await nextLine(timeout: timeout)
            guard ready.event == "ready", ready.peer_id != nil, ready.addr != nil else {
                throw PyPeerError(description: "py peer: expected a ready line, got \(ready)")
            }
        } catch {
            stop()
            throw error
        }
    }

    var peerID: String { ready.peer_id ?? "" }
    var address: String { ready.addr ?? "" }

    private func nextLine(timeout: Duration) async throws -> PyPeerLine {
        let process = self.process
        let watchdog = DispatchWorkItem { if process.isRunning { process.terminate() } }
        let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
        DispatchQueue.global().asyncAfter(deadline: .now() + seconds, execute: watchdog)
        defer { watchdog.cancel() }
        while let line = await lines.next() {
            guard let data = line.data(using: .utf8), let parsed = try? JSONDecoder().decode(PyPeerLine.self, from: data) else {
                continue
            }
            return parsed
        }
        throw PyPeerError(description: "py peer exited or timed out after \(timeout) without answering")
    }

    /// Sends one command (a JSON object) and returns its result line.
    func command(_ fields: [String: String], timeout: Duration = .seconds(30)) async throws -> PyPeerLine {
        var object: [String: Any] = [:]
        for (key, value) in fields { object[key] = Int(value).map { $0 as Any } ?? value }
        let data = try JSONSerialization.data(withJSONObject: object) + Data([0x0A])
        try input.fileHandleForWriting.write(contentsOf: data)
        let line = try await nextLine(timeout: timeout)
        guard line.event == "result" else { throw PyPeerError(description: "py peer: unexpected line \(line)") }
        return line
    }

    /// Kills the process and waits (bounded) for it to go.
    func stop() {
        try? input.fileHandleForWriting.close()
        if process.isRunning { process.terminate() }
        for _ in 0..<50 where process.isRunning {
            usleep(100_000)
        }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}
