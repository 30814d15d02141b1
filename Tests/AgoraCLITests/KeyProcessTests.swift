import Foundation
import Testing

/// Key rotation, the feed head record and `agora init`, driven through real `agora`
/// processes, killed (`AGORA_TEST_CRASH_AT`) at every step that writes.
@Suite struct KeyProcessTests {
    /// Every point where `keys --rotate` writes something durable.
    static let rotationSteps = ["rotate.key-written", "append.committed", "rotate.committed", "rotate.retired", "rotate.head-switched"]

    func publicKey(_ agora: AgoraRunner) throws -> String {
        try #require((try agora.json("keys") as? [String: Any])?["publicKey"] as? String)
    }

    /// Rotations in the log: (author, new key).
    func rotations(_ agora: AgoraRunner) throws -> [(author: String, new: String)] {
        let page = try #require(try agora.json("log", "--limit", "1000") as? [String: Any])
        let entries = try #require(page["entries"] as? [[String: Any]])
        return entries.compactMap { entry in
            guard let summary = entry["summary"] as? String, summary.hasPrefix("key rotated to "),
                  let author = entry["author"] as? String else { return nil }
            return (author, String(summary.dropFirst("key rotated to ".count)))
        }
    }

    func homeLeftovers(_ scratch: Scratch) -> [String] {
        scratch.listing(scratch.home).filter { $0.contains(".tmp-") || $0 == "identity.next" }
    }

    @Test(arguments: rotationSteps)
    func killedRotationIsFinishedOrUndoneAndNeverStacked(step: String) throws {
        let scratch = try Scratch()
        let agora = scratch.agora
        try agora.ok("init")
        let peerID = try agora.ok("id").out
        try agora.ok("publish", try scratch.package("p1", name: "tool", version: "1.0.0").path)
        let original = try publicKey(agora)

        let killed = try agora.run("keys", "--rotate", crashAt: step)
        #expect(killed.status == 86, "\(step): \(killed.err)")

        // The next command recovers; a retried rotation rotates at most once in total.
        try agora.ok("keys", "--rotate")
        let current = try publicKey(agora)
        #expect(current != original)
        let rotations = try rotations(agora)
        #expect(rotations.count == 1, "\(step): \(rotations)")
        #expect(rotations.first?.author == original)
        #expect(rotations.first?.new == current)
        #expect(homeLeftovers(scratch).isEmpty, "\(step): \(homeLeftovers(scratch))")
        #expect(FileManager.default.fileExists(atPath: scratch.home.appendingPathComponent("identity.\(original.prefix(16)).retired").path))
        #expect(try agora.ok("id").out == peerID)

        // The new key publishes as the same principal; the audit agrees with the views.
        try agora.ok("publish", try scratch.package("p2", name: "tool", version: "1.1.0").path)
        let info = try #require(try agora.json("info", "acme/tool") as? [String: Any])
        #expect(info["contested"] as? Bool == false)
        let releases = try #require(info["releases"] as? [[String: Any]])
        #expect(Set(releases.compactMap { $0["principal"] as? String }) == [original])
        try agora.ok("verify", "--deep")
    }

    @Test func rotationKeepsThePeerIDOfAHomeFromBeforeTheSplit() throws {
        let scratch = try Scratch()
        let agora = scratch.agora
        try agora.ok("init")
        // A home made before node.key existed: its PeerID came from identity.key.
        #expect(!FileManager.default.fileExists(atPath: scratch.home.appendingPathComponent("node.key").path))
        let publisher = try publicKey(agora)
        let id = try #require(try agora.json("id") as? [String: Any])
        #expect(id["public_key"] as? String == publisher)
        try agora.ok("keys", "--rotate")
        let after = try #require(try agora.json("id") as? [String: Any])
        #expect(after["peer_id"] as? String == id["peer_id"] as? String)
        #expect(try publicKey(agora) != publisher)
        #expect(try permissions(scratch.home.appendingPathComponent("node.key")) == 0o600)
    }

    /// The store is wiped, replaced by an empty one, or restored from an older copy: signing
    /// is refused with the recovery named, and nothing is appended.
    @Test(arguments: ["wiped", "older copy"])
    func aStoreThatLacksTheOwnFeedIsRefused(how: String) throws {
        let scratch = try Scratch()
        let agora = scratch.agora
        try agora.ok("init")
        try agora.ok("publish", try scratch.package("p1", name: "tool", version: "1.0.0").path)
        let store = scratch.home.appendingPathComponent("store")
        let copy = scratch.url.appendingPathComponent("store-copy")
        try FileManager.default.copyItem(at: store, to: copy)
        try agora.ok("publish", try scratch.package("p2", name: "tool", version: "1.1.0").path)
        try FileManager.default.removeItem(at: store)
        if how == "older copy" { try FileManager.default.moveItem(at: copy, to: store) }

        var commands = [["publish", try scratch.package("p3", name: "tool", version: "2.0.0").path], ["keys", "--rotate"]]
        if how == "older copy" { commands.append(["yank", "acme/tool@1.0.0"]) }
        for command in commands {
            let refused = try agora.run(command[0], command[1])
            #expect(refused.status == 4, "\(command): \(refused.err)")
            #expect(refused.err.contains("Sync the feed back from peers"), "\(refused.err)")
            #expect(refused.err.contains("seq 2"))
        }
        let log = try #require(try agora.json("log") as? [String: Any])
        #expect((log["entries"] as? [Any])?.count == (how == "wiped" ? 0 : 1))

        // The explicit override, for an operator who knows no later event left the machine.
        try agora.ok("keys", "--adopt-store-head")
        try agora.ok("publish", try scratch.package("p4", name: "tool", version: "3.0.0").path)
    }

    /// A kill between an own event's commit and the record leaves the store one event ahead
    /// of `feed.head`: the store is authoritative then, and signing goes on.
    @Test func aStoreAheadOfTheRecordIsFine() throws {
        let scratch = try Scratch()
        let agora = scratch.agora
        try agora.ok("init")
        let killed = try agora.run("publish", try scratch.package("p1", name: "tool", version: "1.0.0").path, crashAt: "append.committed")
        #expect(killed.status == 86)
        try agora.ok("publish", try scratch.package("p2", name: "tool", version: "1.1.0").path)
        let record = try String(contentsOf: scratch.home.appendingPathComponent("feed.head"), encoding: .utf8)
        #expect(record.split(separator: "\n")[2] == "2")
    }

    @Test func concurrentInitsMakeExactlyOneKey() throws {
        let scratch = try Scratch()
        let agora = scratch.agora
        let started = try (0..<8).map { _ in try agora.start(["init", "--json"]) }
        let results = started.map(AgoraRunner.finish)
        #expect(results.allSatisfy { $0.status == 0 }, "\(results.map(\.err))")
        let answers = try results.map { try #require(try JSONSerialization.jsonObject(with: $0.stdout) as? [String: String]) }
        #expect(answers.filter { $0["created"] == "true" }.count == 1)
        #expect(Set(answers.compactMap { $0["publicKey"] }).count == 1)
        #expect(try permissions(scratch.home) == 0o700)
        #expect(try permissions(scratch.home.appendingPathComponent("identity.key")) == 0o600)
        #expect(try permissions(scratch.home.appendingPathComponent("feed.head")) == 0o600)
        #expect(homeLeftovers(scratch).isEmpty)
    }

    @Test func killedInitRecoversAndAWorldReadableHomeIsClosed() throws {
        let scratch = try Scratch()
        let agora = scratch.agora
        try FileManager.default.createDirectory(at: scratch.home, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        // A temporary a killed writer left behind, world-readable as the old code wrote them.
        let stale = scratch.home.appendingPathComponent(".identity.key.tmp-999")
        _ = FileManager.default.createFile(atPath: stale.path, contents: Data("secret".utf8), attributes: [.posixPermissions: 0o644])
        let killed = try agora.run("init", crashAt: "init.feed-head-written")
        #expect(killed.status == 86)
        #expect(!FileManager.default.fileExists(atPath: stale.path))
        let result = try agora.ok("init")
        #expect(result.out.hasPrefix("Initialised"))
        #expect(try permissions(scratch.home) == 0o700)
        try agora.ok("publish", try scratch.package("p1", name: "tool", version: "1.0.0").path)
        #expect(homeLeftovers(scratch).isEmpty)
    }
}

extension KeyProcessTests {
    /// Several `keys --rotate` at once: each either rotates the key it found current or is
    /// told the key changed under it; no key is ever rotated twice.
    @Test func concurrentRotationsNeverStack() throws {
        let scratch = try Scratch()
        let agora = scratch.agora
        try agora.ok("init")
        let started = try (0..<6).map { _ in try agora.start(["keys", "--rotate"]) }
        let results = started.map(AgoraRunner.finish)
        #expect(results.allSatisfy { $0.status == 0 || ($0.status == 6 && $0.err.contains("run the command again")) }, "\(results.map(\.err))")
        let rotations = try rotations(agora)
        #expect(rotations.count == results.filter { $0.status == 0 }.count)
        #expect(Set(rotations.map(\.author)).count == rotations.count)
        try agora.ok("publish", try scratch.package("p1", name: "tool", version: "1.0.0").path)
        try agora.ok("verify")
    }

    @Test func aWorldReadableHomeIsClosedByTheNextWriter() throws {
        let scratch = try Scratch()
        let agora = scratch.agora
        try agora.ok("init")
        chmod(scratch.home.path, 0o755)
        try agora.ok("publish", try scratch.package("p1", name: "tool", version: "1.0.0").path)
        #expect(try permissions(scratch.home) == 0o700)
    }
}
