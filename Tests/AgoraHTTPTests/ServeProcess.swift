import AgoraTestSupport
import Foundation

/// A real `agora serve` process on its own home, with its output in a file; stopped (SIGTERM)
/// when dropped if the test did not stop it.
final class ServeProcess: @unchecked Sendable {
    let home: URL
    let output: URL
    let process = Process()
    private let handle: FileHandle

    init(home: URL, arguments: [String]) throws {
        self.home = home
        output = home.deletingLastPathComponent().appendingPathComponent(home.lastPathComponent + ".serve.out")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        handle = try FileHandle(forWritingTo: output)
        process.executableURL = ServeHTTPNetworkTests.agora
        process.arguments = ["serve"] + arguments
        process.environment = ProcessInfo.processInfo.environment.merging(["AGORA_HOME": home.path]) { $1 }
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
    }

    deinit {
        if process.isRunning { process.terminate() }
        try? handle.close()
    }

    var text: String { (try? String(contentsOf: output, encoding: .utf8)) ?? "" }

    /// The first output line starting with `prefix`, waiting up to a minute for it.
    func line(startingWith prefix: String) async throws -> String {
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, process.isRunning {
            if let line = text.split(separator: "\n").first(where: { $0.hasPrefix(prefix) }) { return String(line) }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw RawHTTP.Failure(description: "serve printed no line starting with \(prefix): \(text.suffix(2000))")
    }

    /// The port of the first `http://127.0.0.x:PORT…` line after `prefix`.
    func port(after prefix: String) async throws -> Int {
        let line = try await line(startingWith: prefix)
        let address = line.dropFirst(prefix.count).split(separator: "/").first ?? ""
        guard let port = Int(address.split(separator: ":").last ?? "") else { throw RawHTTP.Failure(description: "no port in \(line)") }
        return port
    }

    /// SIGTERM, then waits; true when the process exited 0.
    func stop() -> Bool {
        process.terminate()
        process.waitUntilExit()
        return process.terminationReason == .exit && process.terminationStatus == 0
    }
}
