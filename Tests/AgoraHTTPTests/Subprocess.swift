import AgoraTestSupport
import Foundation

/// Runs a real command to completion (output to files, so a chatty child never blocks on a
/// full pipe), killing it after `timeout`.
enum Subprocess {
    struct Result: CustomStringConvertible {
        let status: Int32
        let output: String

        var description: String { "exit \(status):\n\(output.suffix(3000))" }
    }

    static func run(
        _ executable: String, _ arguments: [String], in directory: URL? = nil, environment: [String: String] = [:],
        timeout: Duration = .seconds(900)
    ) async throws -> Result {
        let scratch = try TemporaryDirectory()
        let log = scratch.url.appendingPathComponent("output")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        defer { try? handle.close() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = directory
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            if ContinuousClock.now > deadline {
                process.terminate()
                process.waitUntilExit()
                break
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        process.waitUntilExit()
        return Result(status: process.terminationStatus, output: (try? String(contentsOf: log, encoding: .utf8)) ?? "")
    }

    /// The `swift` driver of the running toolchain.
    static let swift: String = {
        for candidate in ["/opt/swift/usr/bin/swift", "/usr/bin/swift"] where FileManager.default.isExecutableFile(atPath: candidate) {
            return candidate
        }
        return "/usr/bin/env"
    }()
}
