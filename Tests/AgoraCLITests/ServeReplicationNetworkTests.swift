import Foundation
import Synchronization
import Testing

/// Two real `agora serve` processes and the CLI: what a person running two nodes gets.
@Suite struct ServeReplicationNetworkTests {
    /// A running `agora serve` and the lines it printed so far.
    final class Daemon: Sendable {
        let process: Process
        private let printed = Mutex("")

        init(_ runner: AgoraRunner, _ arguments: [String]) throws {
            let (process, out, _) = try runner.start(["serve"] + arguments)
            self.process = process
            out.fileHandleForReading.readabilityHandler = { [weak self] handle in
                let data = handle.availableData
                self?.printed.withLock { $0 += String(decoding: data, as: UTF8.self) }
            }
        }

        /// The first address it printed (it prints them once listening).
        func address() async throws -> String {
            try await waitUntil("the daemon prints its address") { printed.withLock { $0.contains("\n") } }
            return String(printed.withLock { $0 }.split(separator: "\n")[0])
        }

        /// A test that fails before stopping its daemon must not leave it running.
        deinit {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }

        func stop(_ signal: Int32) async throws {
            kill(process.processIdentifier, signal)
            try await waitUntil("the daemon exits") { !process.isRunning }
        }
    }

    static func waitUntil(_ what: String, within limit: Duration = .seconds(60), _ condition: () throws -> Bool) async throws {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if try condition() { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw CLIFailure("timed out waiting until \(what)")
    }

    /// The gossip part of the status file the daemon of `runner`'s home writes.
    static func gossip(_ runner: AgoraRunner) throws -> [String: Any]? {
        guard let data = try? Data(contentsOf: runner.home.appendingPathComponent("node.status.json")) else { return nil }
        return (try JSONSerialization.jsonObject(with: data) as? [String: Any])?["gossip"] as? [String: Any]
    }

    static func found(_ runner: AgoraRunner, _ name: String) throws -> Bool {
        let hits = try runner.json("search", name) as? [[String: Any]] ?? []
        return hits.contains { $0["package"] as? String == "acme/\(name)" }
    }

    /// Publish on A while both daemons run: B's search finds it. B killed with SIGKILL and
    /// restarted without `--bootstrap` (it remembers A) keeps what it had, verifies, and
    /// catches up on what A published meanwhile; status and peers describe the connection.
    @Test func publishOnOneDaemonIsFoundOnTheOther() async throws {
        let scratch = try Scratch()
        let homes = try scratch.initializedHomes("a", "b")
        let (a, b) = (homes[0], homes[1])
        let daemonA = try Daemon(a, ["--listen", "/ip4/127.0.0.51/tcp/0"])
        let addressA = try await daemonA.address()
        var daemonB = try Daemon(b, ["--listen", "/ip4/127.0.0.52/tcp/0", "--bootstrap", addressA])
        _ = try await daemonB.address()

        try await Self.waitUntil("A and B are in each other's gossip mesh") {
            try [a, b].allSatisfy { try Self.gossip($0)?["mesh_peers"] as? Int == 1 }
        }
        try a.ok("publish", try scratch.package("one", name: "replicated-one", version: "1.0.0").path)
        try await Self.waitUntil("B finds the package") { try Self.found(b, "replicated-one") }
        // A's daemon announced what the `agora publish` process wrote to its store.
        try await Self.waitUntil("B received it by gossip") { (try Self.gossip(b)?["delivered"] as? Int ?? 0) >= 1 }

        try await daemonB.stop(SIGKILL)
        try a.ok("publish", try scratch.package("two", name: "replicated-two", version: "1.0.0").path)
        daemonB = try Daemon(b, ["--listen", "/ip4/127.0.0.52/tcp/0"])
        _ = try await daemonB.address()
        try await Self.waitUntil("B, restarted from its remembered peers, finds the second package") {
            try Self.found(b, "replicated-two")
        }
        #expect(try Self.found(b, "replicated-one"))
        try b.ok("verify")

        let peerA = String(addressA.split(separator: "/").last ?? "")
        try await Self.waitUntil("B's status shows A caught up and in its gossip mesh") {
            let status = try b.json("status") as? [String: Any]
            let sync = status?["sync"] as? [[String: Any]] ?? []
            let gossip = status?["gossip"] as? [String: Any]
            return status?["daemon"] as? Bool == true
                && sync.contains { $0["peer"] as? String == peerA && $0["lag"] as? Int == 0 && $0["connected"] as? Bool == true }
                && gossip?["mesh_peers"] as? Int == 1 && (gossip?["topic"] as? String)?.isEmpty == false
        }
        #expect(try b.ok("status").out.contains("gossip:"))
        try await Self.waitUntil("B's peers show A, what it serves, its round-trip time and score") {
            let peers = try b.json("peers") as? [[String: Any]] ?? []
            return peers.contains {
                $0["peer_id"] as? String == peerA
                    && Set($0["protocols"] as? [String] ?? []).isSuperset(of: ["/agora/sync/1.0.0", "/meshsub/1.1.0"])
                    && $0["rtt_ms"] is Double && $0["score"] is Double && $0["standing"] as? String == "usable"
            }
        }

        try await daemonB.stop(SIGTERM)
        #expect(daemonB.process.terminationReason == .exit && daemonB.process.terminationStatus == 0)
        try await daemonA.stop(SIGINT)
        #expect(daemonA.process.terminationReason == .exit && daemonA.process.terminationStatus == 0)
        let status = try b.json("status") as? [String: Any]
        #expect(status?["daemon"] as? Bool == false)
        #expect(status?["gossip"] == nil)
        #expect((status?["events"] as? Int ?? 0) >= 2)
    }
}
