import AgoraCore
import AgoraMigrations
import AgoraStore
import AgoraViews
import Foundation
import Testing

/// A node catching up appends peers' batches with the views deferred and folds them behind
/// the log. Killing its daemon (SIGKILL: no cleanup) part-way, again and again, must lose
/// nothing: restarted, it resumes the sync and the folds, and its views equal a rebuild.
@Suite struct DaemonKillNetworkTests {
    typealias Daemon = ServeReplicationNetworkTests.Daemon

    /// Fills `home`'s store with `feeds` × `perFeed` releases, each feed its own scope.
    static func load(_ home: URL, feeds: Int, perFeed: Int) throws {
        let store = try Store(home: home, migrations: AgoraMigrations.all, views: RegistryViews())
        for feed in 0..<feeds {
            let author = try Identity(seed: [UInt8](repeating: UInt8(feed + 1), count: 32))
            let scope = "kill\(feed)"
            var events: [Event] = []
            for seq in 1...UInt64(perFeed) {
                let name = "package-\(feed)-\(seq)"
                let manifest = Manifest(scope: scope, name: name, version: "1.0.0", description: "killed mirror test \(seq)")
                let body = EventBody.releasePublished(ReleasePublished(
                    scope: scope, name: name, version: "1.0.0", manifest: manifest.canonicalJSON(),
                    archiveDigest: [UInt8](repeating: UInt8(seq % 251), count: 32), archiveSize: 100 + seq))
                events.append(try Event.sign(by: author, seq: seq, prev: events.last?.id, timestamp: seq, body: body))
            }
            for start in stride(from: 0, to: events.count, by: 1_000) {
                _ = try store.append(Array(events[start..<min(start + 1_000, events.count)]), verification: .chain)
            }
        }
    }

    /// Events in the log of `runner`'s home and how many of them the views have not folded.
    static func progress(_ runner: AgoraRunner) throws -> (events: Int, lag: Int) {
        let status = try #require(runner.json("status") as? [String: Any])
        return (try #require(status["events"] as? Int), try #require(status["views_lag"] as? Int))
    }

    @Test func nodeKilledWhileFoldingBehindItsLogLosesNothing() async throws {
        let scratch = try Scratch()
        let homes = try scratch.initializedHomes("a", "b")
        let (a, b) = (homes[0], homes[1])
        try Self.load(a.home, feeds: 4, perFeed: 2_000)
        let total = try Self.progress(a).events
        let daemonA = try Daemon(a, ["--listen", "/ip4/127.0.0.61/tcp/0", "--dht", "off"])
        let addressA = try await daemonA.address()
        let arguments = ["--listen", "/ip4/127.0.0.62/tcp/0", "--dht", "off", "--bootstrap", addressA]

        // The first kill lands once B holds part of A's log; the next ones at seeded instants
        // after restarts, while B folds what it holds (a fold of thousands of events takes longer).
        var random = SplitMix64(seed: 20_261_202)
        var killsWhileLagging = 0
        for round in 1...3 {
            let daemonB = try Daemon(b, arguments)
            _ = try await daemonB.address()
            if round == 1 {
                try await ServeReplicationNetworkTests.waitUntil("B holds part of A's log") { try Self.progress(b).events > 0 }
            } else {
                try await Task.sleep(for: .milliseconds(Int.random(in: 20...400, using: &random)))
            }
            try await daemonB.stop(SIGKILL)
            #expect(daemonB.process.terminationReason == .uncaughtSignal)
            if try Self.progress(b).lag > 0 { killsWhileLagging += 1 }
        }
        #expect(killsWhileLagging > 0, "every kill found B's views current")

        let daemonB = try Daemon(b, arguments)
        _ = try await daemonB.address()
        try await ServeReplicationNetworkTests.waitUntil("B holds A's whole log, every event folded") {
            let now = try Self.progress(b)
            return now.events >= total && now.lag == 0
        }
        try await daemonB.stop(SIGTERM)
        #expect(daemonB.process.terminationReason == .exit && daemonB.process.terminationStatus == 0)
        try await daemonA.stop(SIGTERM)

        let final = try Self.progress(b)
        #expect(final.events >= total && final.lag == 0)
        try b.ok("verify", "--deep")
        let hits = try b.json("search", "package-3-2000") as? [[String: Any]] ?? []
        #expect(hits.first?["package"] as? String == "kill3/package-3-2000")
    }
}
