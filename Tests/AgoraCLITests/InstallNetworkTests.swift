import Foundation
import Testing

/// `agora install` for packages the home never had, against real `agora serve` processes.
@Suite struct InstallNetworkTests {
    typealias Daemon = ServeReplicationNetworkTests.Daemon

    /// A publishes and serves. C (no daemon) installs with `--bootstrap A`. B runs a daemon
    /// that follows A; an install on B's home with no `--bootstrap` reaches the network
    /// through the daemon's status file and the peers the daemon remembered. Unknown
    /// packages and unreachable networks are clear failures.
    @Test func installFetchesWhatTheHomeNeverHad() async throws {
        let scratch = try Scratch()
        let a = AgoraRunner(home: scratch.url.appendingPathComponent("a"))
        let b = AgoraRunner(home: scratch.url.appendingPathComponent("b"))
        let c = AgoraRunner(home: scratch.url.appendingPathComponent("c"))
        for runner in [a, b, c] { try runner.ok("init") }
        try a.ok("publish", try scratch.package("lib", name: "netlib", version: "1.4.0", files: ["Sources/lib.txt": "from A"]).path)
        let daemonA = try Daemon(a, ["--listen", "/ip4/127.0.0.61/tcp/0"])
        let addressA = try await daemonA.address()

        let toC = scratch.url.appendingPathComponent("c-packages")
        let installed = try c.ok("install", "acme/netlib@^1", "--bootstrap", addressA, "--to", toC.path)
        #expect(installed.out.contains("1 archive fetched from peers"))
        #expect(try String(contentsOf: toC.appendingPathComponent("acme/netlib/Sources/lib.txt"), encoding: .utf8) == "from A")
        // A second install needs nothing from the network.
        let again = try c.ok("install", "acme/netlib@^1", "--to", scratch.url.appendingPathComponent("again").path)
        #expect(!again.out.contains("fetched from peers"))

        let unknown = try c.run("install", "acme/nothing-here@^1", "--bootstrap", addressA, "--timeout", "20")
        #expect(unknown.status == 3, "\(unknown.err)")
        #expect(unknown.err.contains("cannot resolve acme/nothing-here"))

        let daemonB = try Daemon(b, ["--listen", "/ip4/127.0.0.62/tcp/0", "--bootstrap", addressA])
        _ = try await daemonB.address()
        try await ServeReplicationNetworkTests.waitUntil("B's daemon has A's release") {
            try ServeReplicationNetworkTests.found(b, "netlib")
        }
        let toB = scratch.url.appendingPathComponent("b-packages")
        try b.ok("install", "acme/netlib@1.4.0", "--to", toB.path)
        #expect(FileManager.default.fileExists(atPath: toB.appendingPathComponent("acme/netlib/Sources/lib.txt").path))

        try await daemonB.stop(SIGTERM)
        try await daemonA.stop(SIGTERM)
        let offline = AgoraRunner(home: scratch.url.appendingPathComponent("d"))
        try offline.ok("init")
        let nobody = try offline.run("install", "acme/netlib@^1")
        #expect(nobody.status == 3)
        #expect(nobody.err.contains("no peer to ask"), "\(nobody.err)")
    }

    /// With no daemon up, `install` keeps the home's archive cache within the configured
    /// budget: an archive no install folder holds any more goes, the installed one stays.
    @Test func installWithoutADaemonKeepsTheCacheWithinItsBudget() async throws {
        let scratch = try Scratch()
        let a = AgoraRunner(home: scratch.url.appendingPathComponent("a"))
        let c = AgoraRunner(home: scratch.url.appendingPathComponent("c"))
        for runner in [a, c] { try runner.ok("init") }
        try a.ok("publish", try scratch.package("one", name: "cachelib", version: "1.0.0", files: ["Sources/lib.txt": "one"]).path)
        try a.ok("publish", try scratch.package("two", name: "cachelib", version: "1.1.0", files: ["Sources/lib.txt": "two"]).path)
        let daemonA = try Daemon(a, ["--listen", "/ip4/127.0.0.65/tcp/0"])
        let addressA = try await daemonA.address()
        try Data("{\"archive_cache_bytes\": 1}".utf8).write(to: c.home.appendingPathComponent("config.json"))
        let folder = scratch.url.appendingPathComponent("c-packages").path
        try c.ok("install", "acme/cachelib@1.0.0", "--bootstrap", addressA, "--to", folder)
        #expect(try CacheStatusTests.cache(c)["archives"] as? Int == 1, "the installed archive is pinned: over budget, kept")
        try c.ok("install", "acme/cachelib@1.1.0", "--bootstrap", addressA, "--to", folder)
        let cache = try CacheStatusTests.cache(c)
        #expect(cache["archives"] as? Int == 1, "1.0.0's archive, which no folder holds any more, was evicted")
        #expect(cache["pinned_archives"] as? Int == 1)
        #expect(try String(contentsOf: URL(fileURLWithPath: folder).appendingPathComponent("acme/cachelib/Sources/lib.txt"), encoding: .utf8) == "two")
        try await daemonA.stop(SIGTERM)
    }

    /// X follows A, so it knows A's release, but holds no archive (not a mirror). C installs
    /// with only `--bootstrap X`: the DHT names A as the package's provider (A, the network's
    /// first node, announces once X joined it), and the archive comes from A.
    @Test func installFollowsTheDHTToTheArchive() async throws {
        let scratch = try Scratch()
        let a = AgoraRunner(home: scratch.url.appendingPathComponent("a"))
        let x = AgoraRunner(home: scratch.url.appendingPathComponent("x"))
        let c = AgoraRunner(home: scratch.url.appendingPathComponent("c"))
        for runner in [a, x, c] { try runner.ok("init") }
        try a.ok("publish", try scratch.package("lib", name: "dhtlib", version: "2.0.0", files: ["Sources/lib.txt": "held by A"]).path)
        let daemonA = try Daemon(a, ["--listen", "/ip4/127.0.0.63/tcp/0"])
        let addressA = try await daemonA.address()
        let daemonX = try Daemon(x, ["--listen", "/ip4/127.0.0.64/tcp/0", "--bootstrap", addressA])
        let addressX = try await daemonX.address()
        try await ServeReplicationNetworkTests.waitUntil("X has A's release") { try ServeReplicationNetworkTests.found(x, "dhtlib") }
        let peerA = String(addressA.split(separator: "/").last ?? "")
        // `agora dht` on X's home joins through X's daemon (no --bootstrap).
        try await ServeReplicationNetworkTests.waitUntil("the DHT names A as the provider", within: .seconds(180)) {
            let answer = try x.run("dht", "providers", "acme/dhtlib", "--json")
            return answer.status == 0 && answer.out.contains(peerA)
        }
        let none = try c.run("dht", "providers", "acme/dhtlib")
        #expect(none.status == 3 && none.err.contains("no peer to ask"), "\(none.err)")

        let target = scratch.url.appendingPathComponent("c-packages")
        let installed = try c.ok("install", "acme/dhtlib@^2", "--bootstrap", addressX, "--to", target.path)
        #expect(installed.out.contains("1 archive fetched from peers"))
        #expect(try String(contentsOf: target.appendingPathComponent("acme/dhtlib/Sources/lib.txt"), encoding: .utf8) == "held by A")
        try await daemonX.stop(SIGTERM)
        try await daemonA.stop(SIGTERM)
    }
}
