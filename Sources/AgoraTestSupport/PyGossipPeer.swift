import Foundation

/// The py-libp2p gossipsub harness (`tools/interop/py_gossip_peer.py`) as a child process:
/// commands go in as JSON lines; results and received messages come out as JSON lines,
/// sorted into two queues. Every wait is bounded; `stop()` kills the process.
public final class PyGossipPeer: @unchecked Sendable {
    public static var python: String? { PyInterop.python }

    static var script: URL { PyInterop.script("py_gossip_peer.py") }

    private let process = Process()
    private let input = Pipe()
    private let output = Pipe()
    private let lock = NSLock()
    private var results: [[String: Any]] = []
    private var messages: [[String: Any]] = []
    private var ready: [String: Any]?
    private var ended = false

    public private(set) var peerID = ""
    public private(set) var address = ""

    public init(python: String, seed: Int, topic: String) async throws {
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [Self.script.path, "--seed", String(seed), "--topic", topic]
        process.standardInput = input
        process.standardOutput = output
        PyInterop.readLines(output.fileHandleForReading) { [self] line in
            guard let object = try? JSONSerialization.jsonObject(with: line) as? [String: Any] else { return }
            lock.withLock {
                switch object["event"] as? String {
                case "ready": ready = object
                case "message": messages.append(object)
                default: results.append(object)
                }
            }
        } ended: { [self] in
            lock.withLock { ended = true }
        }
        try process.run()
        guard let line = await wait(.seconds(90), { $0.ready }) else {
            stop()
            throw PyGossipError(description: "py gossip peer did not start")
        }
        peerID = line["peer_id"] as? String ?? ""
        address = line["addr"] as? String ?? ""
    }

    private func wait<T>(_ limit: Duration, _ take: (PyGossipPeer) -> T?) async -> T? {
        let end = ContinuousClock.now + limit
        while ContinuousClock.now < end {
            let found: T? = lock.withLock { take(self) }
            if let found { return found }
            if lock.withLock({ ended }) { return nil }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return nil
    }

    @discardableResult
    public func command(_ fields: [String: Any], timeout: Duration = .seconds(60)) async throws -> [String: Any] {
        let data = try JSONSerialization.data(withJSONObject: fields) + Data([0x0A])
        try input.fileHandleForWriting.write(contentsOf: data)
        let result: [String: Any]? = await wait(timeout) { peer in
            peer.results.isEmpty ? nil : peer.results.removeFirst()
        }
        guard let result else { throw PyGossipError(description: "py gossip peer: no answer to \(fields)") }
        guard result["ok"] as? Bool == true else { throw PyGossipError(description: "py gossip peer: \(result)") }
        return result
    }

    /// The data (hex) of every message received so far.
    public var receivedData: [String] {
        lock.withLock { messages.compactMap { $0["data_hex"] as? String } }
    }

    public func stop() {
        PyInterop.stop(process, input: input)
    }
}

public struct PyGossipError: Error, CustomStringConvertible {
    public let description: String
}
