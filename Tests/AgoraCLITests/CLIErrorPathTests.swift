import AgoraCore
import AgoraMigrations
import AgoraStore
import AgoraViews
import Foundation
import Testing

/// The CLI's error paths, each as a real `agora` run: the exit code the README promises, a
/// message naming what went wrong, never a raw NSError dump or a signal.
@Suite struct CLIErrorPathTests {
    struct Case: CustomStringConvertible, Sendable {
        let description: String
        let status: Int32
        var stderr: [String] = []
        var stdout: [String] = []
        var environment: [String: String] = [:]
        var asNobody = false
        /// False for commands without `--home` (the network ones).
        var usesHome = true
        /// Prepares the home and returns the command to run (without `--home`).
        let arrange: @Sendable (PublishedHome) throws -> [String]
    }

    static func copyExample(_ name: String, into home: PublishedHome, edit: (inout String) -> Void = { _ in }) throws -> String {
        let folder = home.root.appendingPathComponent("\(name)-\(UUID().uuidString.prefix(6))")
        try FileManager.default.copyItem(atPath: AgoraProcess.example(name), toPath: folder.path)
        let manifest = folder.appendingPathComponent("agora.json")
        if var text = try? String(contentsOf: manifest, encoding: .utf8) {
            edit(&text)
            try text.write(to: manifest, atomically: true, encoding: .utf8)
        }
        return folder.path
    }

    static func openStore(_ home: PublishedHome) throws -> Store {
        try Store(home: home.home, migrations: AgoraMigrations.all, views: RegistryViews())
    }

    static let cases: [Case] = [
        Case(description: "a version differing only in build metadata", status: 6, stderr: ["build metadata"]) { home in
            ["publish", try copyExample("json-kit", into: home) { $0 = $0.replacingOccurrences(of: "\"1.0.0\"", with: "\"1.0.0+build.7\"") }]
        },
        Case(description: "a Swift package republished with other build metadata", status: 6, stderr: ["build metadata"]) { home in
            let first = try AgoraProcess.run(["publish", AgoraProcess.example("swift-greeter"), "--scope", "demo", "--version", "1.0.0+a", "--home", home.home.path])
            guard first.status == 0 else { throw SetupError("\(first)") }
            return ["publish", AgoraProcess.example("swift-greeter"), "--scope", "demo", "--version", "1.0.0+b"]
        },
        Case(description: "an exact pin naming other build metadata", status: 3, stderr: ["acme/json-kit"]) { home in
            ["install", "acme/json-kit@=1.0.0+other", "--to", home.root.appendingPathComponent("deps").path]
        },
        Case(description: "log since the largest sequence number", status: 0) { _ in ["log", "--since", "18446744073709551615"] },
        Case(description: "log since a number beyond UInt64", status: 64) { _ in ["log", "--since", "18446744073709551616"] },
        Case(description: "a yank reason over the limit", status: 1, stderr: ["keep it under 1024"]) { _ in
            ["yank", "acme/json-kit@1.0.0", "--reason", String(repeating: "r", count: 1025)]
        },
        Case(description: "an undecodable event in the log", status: 4, stdout: ["local seq 2", "do not decode"]) { home in
            let store = try openStore(home)
            try store.environment.write { txn in
                try txn.put(store.databases.log, key: BigEndian.bytes(UInt64(2)), value: [0x08, 0x01, 0xff])
            }
            return ["verify"]
        },
        Case(description: "a damaged archive chunk under verify --deep", status: 4, stdout: ["acme/json-kit 1.0.0", "chunk 0 of 1"]) { home in
            let store = try openStore(home)
            try store.environment.write { txn in
                var entries: [([UInt8], [UInt8])] = []
                try txn.forEach(store.databases.blobChunks) { entry in
                    entries.append((Array(entry.key), Array(entry.value)))
                    return true
                }
                guard let (key, stored) = entries.first, stored.count > 40 else { throw SetupError("no blob chunk to damage") }
                var value = stored
                value[value.count / 2] ^= 0x55
                try txn.put(store.databases.blobChunks, key: key, value: value)
            }
            return ["verify", "--deep"]
        },
        Case(description: "install into a folder that is a file", status: 7, stderr: ["deps"]) { home in
            let target = home.root.appendingPathComponent("deps")
            _ = FileManager.default.createFile(atPath: target.path, contents: Data("x".utf8))
            return ["install", "acme/json-kit", "--to", target.path]
        },
        Case(description: "install into a folder another user owns", status: 7, stderr: ["Permission denied"], asNobody: true) { home in
            try home.chown(to: AgoraProcess.nobody)
            let target = home.root.appendingPathComponent("deps")
            try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
            return ["install", "acme/json-kit", "--to", target.path]
        },
        Case(description: "ping to a closed port", status: 1, stderr: ["error: cannot connect to 127.0.0.1 port 1: Connection refused"],
             usesHome: false) { _ in
            ["ping", "/ip4/127.0.0.1/tcp/1", "--count", "1"]
        },
        Case(description: "publish a folder with an unreadable file", status: 1, stderr: ["agora.json: cannot read: Permission denied"],
             asNobody: true) { home in
            let folder = try copyExample("json-kit", into: home)
            try home.chown(to: AgoraProcess.nobody)
            try FileManager.default.setAttributes([.posixPermissions: 0o000], ofItemAtPath: folder + "/agora.json")
            return ["publish", folder]
        },
        Case(description: "trust for a key never seen", status: 0, stderr: ["warning: key", "signed nothing"]) { _ in
            ["trust", "acme", String(repeating: "cd", count: 32)]
        },
        Case(description: "a writer that cannot get the write lock", status: 7, stderr: ["note: waiting for", "write.lock", "gave up"],
             environment: ["AGORA_LOCK_TIMEOUT": "2"]) { home in
            let descriptor = open(home.home.appendingPathComponent("write.lock").path, O_CREAT | O_RDWR, 0o600)
            guard descriptor >= 0, flock(descriptor, LOCK_EX) == 0 else { throw SetupError("cannot take the lock") }
            // Released when the test process ends or after the command, by the close below.
            DispatchQueue.global().asyncAfter(deadline: .now() + 6) { close(descriptor) }
            return ["publish", AgoraProcess.example("http-client")]
        },
        Case(description: "a writer that waits for the lock and then proceeds", status: 0, stderr: ["note: waiting for"],
             stdout: ["Published acme/http-client"], environment: ["AGORA_LOCK_TIMEOUT": "20"]) { home in
            let descriptor = open(home.home.appendingPathComponent("write.lock").path, O_CREAT | O_RDWR, 0o600)
            guard descriptor >= 0, flock(descriptor, LOCK_EX) == 0 else { throw SetupError("cannot take the lock") }
            DispatchQueue.global().asyncAfter(deadline: .now() + 1.6) { close(descriptor) }
            return ["publish", AgoraProcess.example("http-client")]
        },
    ]

    @Test(arguments: cases)
    func exitCodeAndMessage(_ row: Case) throws {
        if row.asNobody && !AgoraProcess.canSwitchUser { return }
        let home = try PublishedHome()
        let command = try row.arrange(home) + (row.usesHome ? ["--home", home.home.path] : [])
        let result = try AgoraProcess.run(command, user: row.asNobody ? AgoraProcess.nobody : nil, environment: row.environment)
        #expect(!result.signalled, "\(row): \(result)")
        #expect(result.status == row.status, "\(row): \(result)")
        for text in row.stderr { #expect(result.stderr.contains(text), "\(row): stderr should hold \"\(text)\": \(result)") }
        for text in row.stdout { #expect(result.stdout.contains(text), "\(row): stdout should hold \"\(text)\": \(result)") }
        for dump in ["Error Domain", "NSCocoaErrorDomain", "SingleConnectionFailure", "LMDB"] {
            #expect(!result.stderr.contains(dump), "\(row): \(result)")
        }
    }

    /// A scope two keys claim, pinned to the first: `info` and `search` show the pinned key's
    /// releases, not the other claimant's higher version.
    @Test func pinnedContestedScopeShowsThePinnedView() throws {
        let alice = try PublishedHome()
        let mallory = try PublishedHome()
        let folder = try Self.copyExample("json-kit", into: mallory) {
            $0 = $0.replacingOccurrences(of: "\"1.0.0\"", with: "\"2.0.0\"").replacingOccurrences(of: "A tiny", with: "A hostile")
        }
        #expect(try AgoraProcess.run(["publish", folder, "--home", mallory.home.path]).status == 0)
        do {
            let source = try Self.openStore(mallory)
            let target = try Self.openStore(alice)
            let events = try source.events(since: 0, limit: 100).map(\.event)
            _ = try target.append(events, verification: .everySignature)
        }
        let info = try AgoraProcess.run(["info", "acme/json-kit", "--json", "--home", alice.home.path])
        #expect(info.status == 0, "\(info)")
        let decoded = try JSONSerialization.jsonObject(with: Data(info.stdout.utf8)) as? [String: Any]
        #expect(decoded?["contested"] as? Bool == true)
        #expect(decoded?["latest"] as? String == "1.0.0")
        #expect(decoded?["hiddenReleases"] as? Int == 2, "mallory's 1.0.0 and 2.0.0")
        #expect((decoded?["releases"] as? [[String: Any]])?.map { $0["version"] as? String } == ["1.0.0"])
        let text = try AgoraProcess.run(["info", "acme/json-kit", "--home", alice.home.path])
        #expect(text.stdout.contains("showing only the pinned key") && !text.stdout.contains("2.0.0"), "\(text)")

        let search = try AgoraProcess.run(["search", "json-kit", "--json", "--home", alice.home.path])
        let hits = try JSONSerialization.jsonObject(with: Data(search.stdout.utf8)) as? [[String: Any]]
        let hit = hits?.first { $0["package"] as? String == "acme/json-kit" }
        #expect(hit?["version"] as? String == "1.0.0", "\(search)")
        #expect((hit?["description"] as? String)?.contains("hostile") == false)
    }

    /// A full disk is a storage failure (7), on a real 2 MiB tmpfs; needs root to mount it.
    @Test func diskFullIsStorage() throws {
        guard geteuid() == 0 else { return }
        let mountPoint = FileManager.default.temporaryDirectory.appendingPathComponent("agora-cli-full-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: mountPoint, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: mountPoint) }
        func tool(_ arguments: [String]) throws -> Bool {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = arguments
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            return process.terminationStatus == 0
        }
        guard try tool(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", mountPoint.path]) else { return }
        defer { _ = try? tool(["umount", mountPoint.path]) }
        let home = mountPoint.appendingPathComponent("home").path
        #expect(try AgoraProcess.run(["init", "--home", home]).status == 0)
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("agora-cli-big-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: scratch) }
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        let manifest = Manifest(scope: "acme", name: "big", version: "1.0.0", description: "fills the disk")
        try Data(manifest.canonicalJSON()).write(to: scratch.appendingPathComponent("agora.json"))
        var rng = SystemRandomNumberGenerator()
        try Data((0..<(3 << 20)).map { _ in UInt8.random(in: 0...255, using: &rng) }).write(to: scratch.appendingPathComponent("blob.bin"))
        let result = try AgoraProcess.run(["publish", scratch.path, "--home", home])
        #expect(!result.signalled && result.status == 7, "\(result)")
        #expect(result.stderr.contains("disk full"), "\(result)")
        let after = try AgoraProcess.run(["verify", "--home", home])
        #expect(after.status == 0, "nothing of the failed publish was kept: \(after)")
    }
}
