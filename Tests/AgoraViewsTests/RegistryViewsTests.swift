import AgoraCore
import Foundation
import Testing
import AgoraStore
import AgoraTestSupport
@testable import AgoraViews

@Suite struct RegistryViewsTests {
    /// Feeds exercising every view: contests, a transfer, a yank, a rotation with releases on
    /// both keys, peer observations, and a release whose scope the views must ignore.
    static func scenario() -> (feeds: [[Event]], alice: FeedBuilder, bob: FeedBuilder, carol: FeedBuilder, dave: FeedBuilder, dave2: FeedBuilder) {
        var alice = FeedBuilder(seed: 1)
        var bob = FeedBuilder(seed: 2)
        var carol = FeedBuilder(seed: 3)
        var dave = FeedBuilder(seed: 4)
        var dave2 = FeedBuilder(seed: 5)
        var observer = FeedBuilder(seed: 6)

        alice.publish("acme", "tool", "1.0.0", description: "legacy hammer for nails", keywords: ["hardware"])
        alice.publish("acme", "tool", "1.1.0", description: "legacy hammer, improved", keywords: ["hardware"])
        alice.publish("acme", "util", "0.1.0", description: "small helpers", authors: ["Alice Smith"])
        bob.publish("acme", "tool", "1.0.0", description: "an impostor tool")
        bob.publish("bobs", "widget", "3.0.0", description: "widgets galore")
        alice.transfer("acme", to: carol.key)
        carol.publish("acme", "tool", "2.0.0", description: "modern wrench", keywords: ["hardware", "tools"])
        alice.yank("acme", "tool", "1.1.0", reason: "broken")
        dave.publish("dave", "lib", "1.0.0", description: "a library")
        dave2.publish("dave", "lib", "2.0.0", description: "a library, rotated")
        dave.rotate(to: dave2.identity)
        dave2.publish("dave", "other", "0.1.0", description: "another one")
        alice.publish("bad/scope", "x", "1.0.0", description: "ignored by the views")
        observer.observe(peer: [1, 2, 3], .success)
        observer.observe(peer: [1, 2, 3], .timeout)
        observer.penalise(peer: [9, 9], reason: "served garbage")
        observer.observe(peer: [9, 9], .digestMismatch)
        let feeds = [alice, bob, carol, dave, dave2, observer].map(\.events)
        return (feeds, alice, bob, carol, dave, dave2)
    }

    @Test func viewsAreTheSameForAnyOrderAndBatching() throws {
        let (feeds, _, _, _, _, _) = Self.scenario()
        var reference: [String: [UInt8]]?
        for seed in UInt64(1)...6 {
            var rng = SeededGenerator(seed: seed)
            let directory = try TemporaryDirectory()
            let store = try RegistryViewsTestSupport.openRegistryStore(directory)
            let ordered = seed == 1 ? feeds.flatMap { $0 } : RegistryViewsTestSupport.interleave(feeds, using: &rng)
            let maxBatch = seed == 1 ? 1000 : Int(seed) * 2
            #expect(try RegistryViewsTestSupport.appendInBatches(ordered, to: store, maxBatch: maxBatch, using: &rng))
            let snapshot = try RegistryViewsTestSupport.snapshot(store)
            #expect(snapshot["releases"]?.isEmpty == false)
            #expect(snapshot["postings"]?.isEmpty == false)
            if let reference {
                for (name, bytes) in reference { #expect(snapshot[name] == bytes, "view \(name) differs for seed \(seed)") }
            } else {
                reference = snapshot
            }
            let comparison = try store.verifyViews()
            #expect(comparison.equal, "\(comparison.mismatch?.description ?? "")")
        }
    }

    @Test func foldsReleasesClaimsAndPrincipals() throws {
        let (feeds, alice, bob, carol, dave, dave2) = Self.scenario()
        let directory = try TemporaryDirectory()
        let store = try RegistryViewsTestSupport.openRegistryStore(directory)
        _ = try store.append(feeds.flatMap { $0 }, verification: .chain)

        let tool = try #require(try store.packageState(PackageKey(scope: "acme", name: "tool")))
        #expect(tool.releases.count == 4)
        #expect(tool.claimants.map(\.principal) == [alice.key, bob.key, carol.key].sorted())
        #expect(tool.claimants.first { $0.principal == carol.key }?.authorisedBy == alice.key)
        #expect(tool.contested)
        #expect(tool.releases.first { $0.principal == alice.key && $0.version == "1.1.0" }?.yankReason == "broken")
        #expect(tool.current?.version == "2.0.0")
        // Manifests come from the release events in the log, not from the stored record.
        for release in tool.releases {
            let event = try #require(try store.event(id: release.event))
            guard case .releasePublished(let body)? = try? event.decodedBody() else { Issue.record("not a release"); continue }
            #expect(release.manifest == body.manifest)
            #expect(!release.manifest.isEmpty)
        }

        let acme = try #require(try store.scopeState("ACME"))
        #expect(acme.claimants.count == 3 && acme.transfers.count == 1 && acme.contested)

        #expect(try store.principal(of: dave2.key) == dave.key)
        #expect(try store.principal(of: dave.key) == dave.key)
        let lib = try #require(try store.packageState(PackageKey(scope: "dave", name: "lib")))
        #expect(lib.releases.map(\.principal) == [dave.key, dave.key])
        #expect(!lib.contested)
        #expect(try store.scopeState("dave")?.claimants.map(\.principal) == [dave.key])

        #expect(try store.packageState(PackageKey(scope: "bad/scope", name: "x")) == nil)
        #expect(try store.packages(limit: 100).map(\.key.description) == ["acme/tool", "acme/util", "bobs/widget", "dave/lib", "dave/other"])
        #expect(try store.packages(after: PackageKey(scope: "acme", name: "util"), limit: 2).map(\.key.description) == ["bobs/widget", "dave/lib"])

        let scores = try store.peerScores()
        #expect(scores.map(\.peer) == [[1, 2, 3], [9, 9]])
        #expect(scores[0].successes == 1 && scores[0].timeouts == 1)
        #expect(scores[1].penalties == 1 && scores[1].digestMismatches == 1)
        #expect(Set(scores.map(\.reporter)).count == 1, "one observer reported both")
        let observer = try PublicKey(bytes: scores[1].reporter)
        #expect(try store.peerScore(of: [9, 9], reportedBy: observer)?.score(at: 0) == scores[1].score(at: 0))
        #expect(try store.peerScore(of: [9, 9], reportedBy: dave.key) == nil, "scores are per reporter")
        #expect(try store.peerScores(reportedBy: observer) == scores)
    }

    @Test func searchFollowsTheCurrentRelease() throws {
        let (feeds, _, _, carol, _, _) = Self.scenario()
        let directory = try TemporaryDirectory()
        let store = try RegistryViewsTestSupport.openRegistryStore(directory)
        _ = try store.append(feeds.flatMap { $0 }, verification: .chain)

        let exact = try store.search(query: "tool")
        #expect(exact.first?.summary.package == PackageKey(scope: "acme", name: "tool"))
        #expect(exact.first?.tier == .exactName)
        #expect(exact.first?.summary.version == "2.0.0")
        #expect(exact.first?.summary.publisher == carol.key)
        #expect(exact.first?.summary.contested == true)
        // The document is the current release's: words only older manifests had are gone.
        #expect(try store.search(query: "hammer").isEmpty)
        #expect(try store.search(query: "wrench").map(\.summary.package.description) == ["acme/tool"])
        #expect(try store.search(query: "widgte").first?.summary.package.description == "bobs/widget")
        #expect(try store.search(query: "helpers", filters: SearchFilters(author: "alice")).map(\.summary.name) == ["util"])
        #expect(try store.search(query: "helpers", filters: SearchFilters(author: "nobody")).isEmpty)
    }

    @Test func yankingEveryReleaseHidesThePackageFromSearch() throws {
        var alice = FeedBuilder(seed: 1)
        alice.publish("acme", "gone", "1.0.0", description: "soon yanked")
        let directory = try TemporaryDirectory()
        let store = try RegistryViewsTestSupport.openRegistryStore(directory)
        _ = try store.append(alice.events, verification: .chain)
        #expect(try store.search(query: "gone").count == 1)
        _ = try store.append([alice.yank("acme", "gone", "1.0.0", reason: "oops")], verification: .chain)
        #expect(try store.search(query: "gone").isEmpty)
        #expect(try store.search(query: "gone", filters: SearchFilters(includeYanked: true)).first?.summary.yanked == true)
    }

    @Test func lateRotationMergesPrincipalsAlreadyFolded() throws {
        let (_, _, _, _, dave, dave2) = Self.scenario()
        let directory = try TemporaryDirectory()
        let store = try RegistryViewsTestSupport.openRegistryStore(directory)
        _ = try store.append(dave2.events, verification: .chain)
        _ = try store.append(Array(dave.events.prefix(1)), verification: .chain)
        let before = try #require(try store.packageState(PackageKey(scope: "dave", name: "lib")))
        #expect(before.contested)
        #expect(try store.scopeState("dave")?.contested == true)

        _ = try store.append(Array(dave.events.dropFirst()), verification: .chain)
        let after = try #require(try store.packageState(PackageKey(scope: "dave", name: "lib")))
        #expect(!after.contested)
        #expect(Set(after.releases.map(\.principal)) == [dave.key])
        #expect(try store.scopeState("dave")?.contested == false)
        #expect(try store.search(query: "other").first?.summary.publisher == dave.key)
        #expect(try store.verifyViews().equal)
    }

    @Test func rebuildReproducesTheLiveViews() throws {
        let (feeds, _, _, _, _, _) = Self.scenario()
        let directory = try TemporaryDirectory()
        let store = try RegistryViewsTestSupport.openRegistryStore(directory)
        _ = try store.append(feeds.flatMap { $0 }, verification: .chain)
        let live = try RegistryViewsTestSupport.snapshot(store)
        try store.rebuildViews()
        #expect(try RegistryViewsTestSupport.snapshot(store) == live)
    }
}
