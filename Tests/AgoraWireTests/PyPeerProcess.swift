import AgoraTestSupport
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
    static var python: String? { PyInterop.python }

    static var script: URL { PyInterop.script("py_peer.py") }

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
        PyInterop.readLines(output.fileHandleForReading) { line in
            continuation.yield(String(decoding: line, as: UTF8.self))
        } ended: {
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
        PyInterop.stop(process, input: input)
    }
}
