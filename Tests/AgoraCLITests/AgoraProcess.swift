import Foundation

/// Runs the real `agora` executable built beside this test bundle, so exit codes, messages
/// and signals are what a person at a terminal gets.
struct AgoraProcess {
    struct Result: CustomStringConvertible {
        let status: Int32
        /// True when the process died of a signal (a trap, SIGBUS, a double free's abort).
        let signalled: Bool
        let stdout: String
        let stderr: String

        var description: String { "status \(status)\(signalled ? " (signal)" : ""), stderr: \(stderr), stdout: \(stdout.prefix(400))" }
    }

    /// User and group `nobody`: permission checks do not apply to root, so tests that need
    /// them run the command as this user through `setpriv`.
    static let nobody: UInt32 = 65534

    static let binary: URL = {
        if let path = ProcessInfo.processInfo.environment["AGORA_BINARY"] { return URL(fileURLWithPath: path) }
        let beside = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
            .appendingPathComponent("agora")
        if FileManager.default.isExecutableFile(atPath: beside.path) { return beside }
        return packageRoot.appendingPathComponent(".build/debug/agora")
    }()

    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func example(_ name: String) -> String { packageRoot.appendingPathComponent("examples/\(name)").path }

    static var canSwitchUser: Bool {
        geteuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv")
    }

    /// Runs `agora arguments…` to completion; `user` runs it as that uid (root only).
    @discardableResult
    static func run(_ arguments: [String], user: UInt32? = nil, environment: [String: String] = [:]) throws -> Result {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("agora-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let out = scratch.appendingPathComponent("out")
        let err = scratch.appendingPathComponent("err")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        let process = Process()
        if let user {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
            process.arguments = ["--reuid=\(user)", "--regid=\(user)", "--clear-groups", binary.path] + arguments
        } else {
            process.executableURL = binary
            process.arguments = arguments
        }
        var env = ProcessInfo.processInfo.environment
        env["AGORA_HOME"] = nil
        for (key, value) in environment { env[key] = value }
        process.environment = env
        let outHandle = try FileHandle(forWritingTo: out)
        let errHandle = try FileHandle(forWritingTo: err)
        process.standardOutput = outHandle
        process.standardError = errHandle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        try outHandle.close()
        try errHandle.close()
        return Result(
            status: process.terminationStatus, signalled: process.terminationReason == .uncaughtSignal,
            stdout: (try? String(contentsOf: out, encoding: .utf8)) ?? "", stderr: (try? String(contentsOf: err, encoding: .utf8)) ?? "")
    }
}

/// A home with one published package, in a scratch folder removed afterwards.
final class PublishedHome {
    let root: URL
    let home: URL
    var store: URL { home.appendingPathComponent("store") }
    var dataFile: URL { store.appendingPathComponent("data.mdb") }

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("agora-cli-home-\(UUID().uuidString)")
        home = root.appendingPathComponent("home")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: root.path)
        for arguments in [["init"], ["publish", AgoraProcess.example("json-kit")]] {
            let result = try AgoraProcess.run(arguments + ["--home", home.path])
            guard result.status == 0 else { throw SetupError("agora \(arguments) failed: \(result)") }
        }
    }

    deinit { try? FileManager.default.removeItem(at: root) }

    /// Gives the whole home to `uid`, so a command run as that user meets only the fault a test adds.
    func chown(to uid: UInt32) throws {
        let enumerator = FileManager.default.enumerator(atPath: home.path)
        var paths = [home.path]
        while let relative = enumerator?.nextObject() as? String { paths.append(home.appendingPathComponent(relative).path) }
        for path in paths where Foundation.chown(path, uid, uid) != 0 {
            throw SetupError("chown \(path): \(String(cString: strerror(errno)))")
        }
    }
}

struct SetupError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
