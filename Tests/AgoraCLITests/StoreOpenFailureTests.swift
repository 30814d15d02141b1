import Foundation
import Testing

/// Every way a store can be unopenable, met by every command: each must exit 7 naming the
/// path and the OS's (or LMDB's) reason — never a signal, never "not found", never exit 1.
@Suite struct StoreOpenFailureTests {
    struct Fault: CustomStringConvertible, Sendable {
        let description: String
        /// Runs the commands as `nobody` (after giving it the home), since root ignores permissions.
        var asNobody = false
        /// Substrings stderr must hold: a path and a reason.
        let expect: [String]
        let apply: @Sendable (PublishedHome) throws -> Void
    }

    static func truncate(_ home: PublishedHome, to size: (Int) -> Int) throws {
        let handle = try FileHandle(forUpdating: home.dataFile)
        let length = Int(try handle.seekToEnd())
        try handle.truncate(atOffset: UInt64(size(length)))
        try handle.close()
    }

    static func overwrite(_ home: PublishedHome, from offset: Int, count: (Int) -> Int, seed: UInt64) throws {
        let handle = try FileHandle(forUpdating: home.dataFile)
        let length = Int(try handle.seekToEnd())
        var state = seed
        let bytes = (0..<count(length)).map { _ -> UInt8 in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return UInt8(truncatingIfNeeded: state >> 33)
        }
        try handle.seek(toOffset: UInt64(offset))
        try handle.write(contentsOf: bytes)
        try handle.close()
    }

    static func replace(_ url: URL, withDirectory: Bool) throws {
        try FileManager.default.removeItem(at: url)
        if withDirectory {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: false)
        } else {
            _ = FileManager.default.createFile(atPath: url.path, contents: Data("not a directory".utf8))
        }
    }

    static let faults: [Fault] = [
        Fault(description: "zero-length data.mdb", expect: ["data.mdb", "truncated"]) { try truncate($0) { _ in 0 } },
        Fault(description: "data.mdb cut to 1 byte", expect: ["data.mdb", "not an LMDB data file"]) { try truncate($0) { _ in 1 } },
        Fault(description: "data.mdb cut inside the first meta page", expect: ["data.mdb", "not an LMDB data file"]) {
            try truncate($0) { _ in 100 }
        },
        Fault(description: "data.mdb cut after the first meta page", expect: ["data.mdb"]) { try truncate($0) { _ in 4096 } },
        Fault(description: "data.mdb cut after both meta pages", expect: ["data.mdb", "truncated"]) { try truncate($0) { _ in 8192 } },
        Fault(description: "data.mdb cut in half", expect: ["data.mdb", "truncated"]) { try truncate($0) { $0 / 2 } },
        Fault(description: "data.mdb missing its last page", expect: ["data.mdb", "truncated"]) { try truncate($0) { $0 - 4096 } },
        Fault(description: "data.mdb all garbage", expect: ["data.mdb", "not an LMDB data file"]) {
            try overwrite($0, from: 0, count: { $0 }, seed: 1)
        },
        Fault(description: "garbage over the meta pages", expect: ["data.mdb", "not an LMDB data file"]) {
            try overwrite($0, from: 0, count: { _ in 8192 }, seed: 2)
        },
        Fault(description: "directory in place of data.mdb", expect: ["store", "directory"]) {
            try replace($0.dataFile, withDirectory: true)
        },
        Fault(description: "directory in place of lock.mdb", expect: ["store", "directory"]) {
            try replace($0.store.appendingPathComponent("lock.mdb"), withDirectory: true)
        },
        Fault(description: "file in place of the store directory", expect: ["store"]) { home in
            try FileManager.default.removeItem(at: home.store)
            _ = FileManager.default.createFile(atPath: home.store.path, contents: Data("x".utf8))
        },
        Fault(description: "file in place of the home", expect: ["home", "Not a directory"]) { home in
            try FileManager.default.removeItem(at: home.home)
            _ = FileManager.default.createFile(atPath: home.home.path, contents: Data("x".utf8))
        },
        Fault(description: "home owned by another user", asNobody: true, expect: ["home", "Permission denied", "belongs to uid 0"]) { home in
            try home.chown(to: 0)
            try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: home.home.path)
        },
        Fault(description: "read-only home", asNobody: true, expect: ["home", "Permission denied"]) { home in
            try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: home.home.path)
        },
        Fault(description: "data.mdb without permissions", asNobody: true, expect: ["store", "Permission denied"]) { home in
            try FileManager.default.setAttributes([.posixPermissions: 0o000], ofItemAtPath: home.dataFile.path)
        },
        Fault(description: "identity.key owned by another user", asNobody: true, expect: ["identity.key", "Permission denied"]) { home in
            let key = home.home.appendingPathComponent("identity.key")
            _ = Foundation.chown(key.path, 0, 0)
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: key.path)
        },
        Fault(description: "data.mdb owned by another user", asNobody: true, expect: ["store", "Permission denied"]) { home in
            _ = Foundation.chown(home.dataFile.path, 0, 0)
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: home.dataFile.path)
        },
    ]

    static let commands: [[String]] = [
        ["init"], ["search", "json"], ["info", "acme/json-kit"], ["log"], ["verify"], ["verify", "--deep"], ["keys"],
        ["trust"], ["trust", "acme", String(repeating: "ab", count: 32)], ["publish", AgoraProcess.example("http-client")],
        ["yank", "acme/json-kit@1.0.0"], ["search", "json", "--json"],
    ]

    @Test(arguments: faults)
    func everyCommandExitsSevenWithThePathAndTheReason(_ fault: Fault) throws {
        if fault.asNobody && !AgoraProcess.canSwitchUser { return }
        let home = try PublishedHome()
        if fault.asNobody { try home.chown(to: AgoraProcess.nobody) }
        try fault.apply(home)
        let installTarget = home.root.appendingPathComponent("deps").path
        for command in Self.commands + [["install", "acme/json-kit", "--to", installTarget]] {
            let result = try AgoraProcess.run(command + ["--home", home.home.path], user: fault.asNobody ? AgoraProcess.nobody : nil)
            #expect(!result.signalled, "\(fault): agora \(command) died of a signal: \(result)")
            #expect(result.status == 7, "\(fault): agora \(command): \(result)")
            for text in fault.expect {
                #expect(result.stderr.contains(text), "\(fault): agora \(command) should mention \"\(text)\": \(result)")
            }
            #expect(result.stderr.hasPrefix("error: ") && !result.stderr.contains("Error Domain"), "\(fault): \(result)")
        }
    }
}
