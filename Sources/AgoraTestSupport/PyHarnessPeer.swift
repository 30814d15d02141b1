import Foundation

/// A py-libp2p harness under tools/interop as a child process: commands go in as JSON lines;
/// results and other events (received messages) come out as JSON lines, sorted into two
/// queues. Every wait is bounded; `stop()` kills the process.
public class PyHarnessPeer: @unchecked Sendable {
    public static var python: String? { PyInterop.python }

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

    /// Starts tools/interop/`script` with `arguments` and waits for its ready line.
    public init(python: String, script: String, arguments: [String]) async throws {
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [PyInterop.script(script).path] + arguments
        process.standardInput = input
        process.standardOutput = output
        PyInterop.readLines(output.fileHandleForReading) { [self] line in
            guard let object = try? JSONSerialization.jsonObject(with: line) as? [String: Any] else { return }
            lock.withLock {
                switch object["event"] as? String {
                case "ready": ready = object
                case "result": results.append(object)
                default: messages.append(object)
                }
            }
        } ended: { [self] in
            lock.withLock { ended = true }
        }
        try process.run()
        guard let line = await wait(.seconds(90), { $0.ready }) else {
            stop()
            throw PyHarnessError(description: "\(script) did not start")
        }
        peerID = line["peer_id"] as? String ?? ""
        address = line["addr"] as? String ?? ""
    }

    private func wait<T>(_ limit: Duration, _ take: (PyHarnessPeer) -> T?) async -> T? {
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
        guard let result else { throw PyHarnessError(description: "py peer: no answer to \(fields)") }
        guard result["ok"] as? Bool == true else { throw PyHarnessError(description: "py peer: \(result)") }
        return result
    }

    /// Every line so far that was neither the ready line nor a command's result.
    public var events: [[String: Any]] {
        lock.withLock { messages }
    }

    public func stop() {
        PyInterop.stop(process, input: input)
    }
}

public struct PyHarnessError: Error, CustomStringConvertible {
    public let description: String
}
