import Foundation
import Synchronization
import Testing

/// `agora serve` as a real process: what it prints and how it ends on a signal.
@Suite struct ServeProcessTests {
    /// The `agora` executable built next to this test bundle.
    static var agora: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("agora")
    }

    /// Starts `agora serve` and returns it with the lines it printed so far (growing).
    static func serve(_ arguments: [String], home: URL) throws -> (Process, PrintedText) {
        let process = Process()
        process.executableURL = agora
        process.arguments = ["serve"] + arguments
        process.environment = ProcessInfo.processInfo.environment.merging(["AGORA_HOME": home.path]) { $1 }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        let printed = PrintedText()
        output.fileHandleForReading.readabilityHandler = { handle in
            printed.append(String(decoding: handle.availableData, as: UTF8.self))
        }
        try process.run()
        return (process, printed)
    }

    static func waitForExit(_ process: Process, within limit: Duration) async throws {
        let deadline = ContinuousClock.now + limit
        while process.isRunning, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// A signal sent the moment the address appears (a supervisor stopping the node at
    /// once) is caught: a clean exit 0, never a signal death.
    @Test(arguments: [SIGTERM, SIGINT]) func aSignalRightAfterStartUpEndsCleanly(signal: Int32) async throws {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("agora-serve-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: home) }
        let (process, printed) = try Self.serve(["--listen", "/ip4/0.0.0.0/tcp/0"], home: home)
        let deadline = ContinuousClock.now + .seconds(30)
        while !printed.value.contains("\n"), process.isRunning, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(1))
        }
        kill(process.processIdentifier, signal)
        try await Self.waitForExit(process, within: .seconds(30))
        #expect(!process.isRunning)
        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus == 0)
        let lines = printed.value.split(separator: "\n")
        #expect(lines.contains { $0.hasPrefix("/ip4/127.0.0.1/tcp/") && $0.contains("/p2p/12D3KooW") })
        #expect(!lines.contains { $0.contains("0.0.0.0") }, "a wildcard is never advertised")
    }
}

/// What a child process printed so far, appended from the pipe's handler thread.
final class PrintedText: Sendable {
    private let text = Mutex("")

    var value: String { text.withLock { $0 } }

    func append(_ more: String) {
        text.withLock { $0 += more }
    }
}
