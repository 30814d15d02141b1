import Foundation

/// Runs the real `agora` executable (`AgoraProcess.binary`) against one home, started
/// without waiting (for concurrent processes) or to completion, optionally with the
/// `AGORA_TEST_CRASH_AT` test hook.
struct AgoraRunner {
    struct Result {
        var status: Int32
        var stdout: Data
        var stderr: Data
        var out: String { String(decoding: stdout, as: UTF8.self) }
        var err: String { String(decoding: stderr, as: UTF8.self) }
    }

    let home: URL

    /// Starts `agora args…` with `AGORA_HOME` set (and `crashAt` as the test hook), without waiting.
    func start(_ arguments: [String], crashAt: String? = nil, in directory: URL? = nil) throws -> (Process, Pipe, Pipe) {
        let process = Process()
        process.executableURL = AgoraProcess.binary
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["AGORA_HOME"] = home.path
        environment["AGORA_TEST_CRASH_AT"] = crashAt
        process.environment = environment
        if let directory { process.currentDirectoryURL = directory }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        return (process, out, err)
    }

    static func finish(_ started: (Process, Pipe, Pipe)) -> Result {
        let (process, out, err) = started
        // Read both pipes to the end before waiting, so a chatty child never blocks on a full pipe.
        let group = DispatchGroup()
        nonisolated(unsafe) var errData = Data()
        group.enter()
        DispatchQueue.global().async {
            errData = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: outData, stderr: errData)
    }

    @discardableResult
    func run(_ arguments: String..., crashAt: String? = nil, in directory: URL? = nil) throws -> Result {
        Self.finish(try start(arguments, crashAt: crashAt, in: directory))
    }

    /// Runs and requires exit 0, with the output in the failure message otherwise.
    @discardableResult
    func ok(_ arguments: String..., in directory: URL? = nil) throws -> Result {
        let result = Self.finish(try start(arguments, in: directory))
        guard result.status == 0 else {
            throw CLIFailure("agora \(arguments.joined(separator: " ")) exited \(result.status): \(result.err)\(result.out)")
        }
        return result
    }

    func json(_ arguments: String...) throws -> Any {
        let result = Self.finish(try start(arguments + ["--json"]))
        guard result.status == 0 else { throw CLIFailure("agora \(arguments.joined(separator: " ")) --json exited \(result.status): \(result.err)") }
        return try JSONSerialization.jsonObject(with: result.stdout)
    }
}

struct CLIFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A scratch folder with a home inside, removed at the end of the test.
final class Scratch {
    let url: URL
    var home: URL { url.appendingPathComponent("home") }
    var agora: AgoraRunner { AgoraRunner(home: home) }

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("agora-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    /// A runner for each name, its home initialised (`agora init`) under this folder.
    func initializedHomes(_ names: String...) throws -> [AgoraRunner] {
        try names.map { name in
            let runner = AgoraRunner(home: url.appendingPathComponent(name))
            try runner.ok("init")
            return runner
        }
    }

    /// An agora.json package folder; `files` maps relative paths to contents.
    func package(
        _ folder: String, scope: String = "acme", name: String, version: String, description: String = "a package",
        keywords: [String] = [], authors: [String] = [], dependencies: [String: String] = [:], files: [String: String] = ["main.txt": "hello"]
    ) throws -> URL {
        let root = url.appendingPathComponent(folder)
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let manifest: [String: Any] = [
            "scope": scope, "name": name, "version": version, "description": description,
            "keywords": keywords, "authors": authors, "dependencies": dependencies,
        ]
        try JSONSerialization.data(withJSONObject: manifest, options: [.sortedKeys]).write(to: root.appendingPathComponent("agora.json"))
        for (path, text) in files {
            let file = root.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: file)
        }
        return root
    }

    /// Every name under `directory`, recursively, relative to it.
    func listing(_ directory: URL) -> [String] {
        (FileManager.default.enumerator(atPath: directory.path)?.allObjects as? [String] ?? []).sorted()
    }
}

/// Mode bits of a path (without the file type).
func permissions(_ url: URL) throws -> Int {
    var info = stat()
    guard lstat(url.path, &info) == 0 else { throw CLIFailure("cannot stat \(url.path)") }
    return Int(info.st_mode & 0o7777)
}
