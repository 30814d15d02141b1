import AgoraCore
import AgoraMigrations
import AgoraStore
import AgoraTestSupport
import Testing
@testable import AgoraViews

/// A peer may sign releases, yanks, transfers and retrieval counts under any UTF-8 name. The
/// views index only names SwiftPM's registry rule admits (`RegistryViews.packageKey`), as
/// `agora publish` does: the other events stay in the log, claim no scope, count for nothing,
/// and the incremental fold leaves them out as a rebuild does.
@Suite struct SwiftPMNameViewTests {
    static let longestName = String(repeating: "n", count: PackageIdentity.maxNameLength)
    /// Packages the views must not index, as (scope, name).
    static let ignored: [(scope: String, name: String)] = [
        ("acme", "caf\u{E9}"), ("acme", "cafe\u{301}"),
        // A Cyrillic а: shown beside the real acme/json-kit, requestable by no SwiftPM client.
        ("\u{430}cme", "json-kit"),
        // The Kelvin sign, which Unicode lowercases to an ASCII k: acme/kit by another key.
        ("acme", "\u{212A}IT"),
        ("zope", "zope.interface"),
        ("acme", longestName + "n"),
    ]
    /// What the views hold, lowercased.
    static let indexed: Set<String> = ["acme/json-kit", "acme/kit", "kelvin/meter", "peer-tools/json_kit", "peer-tools/\(longestName)"]

    /// The owner of `acme` and `kelvin`, a peer with confusable names beside valid mixed-case
    /// ones (which rotates its key, so its feed is read back for re-folding), and a mirror
    /// counting retrievals of all of them.
    static func feeds() -> (feeds: [[Event]], owner: PublicKey, peer: PublicKey) {
        var (owner, peer, rotated, mirror) = (FeedBuilder(seed: 61), FeedBuilder(seed: 62), FeedBuilder(seed: 63), FeedBuilder(seed: 64))
        owner.publish("acme", "json-kit", "1.0.0", description: "json parsing kit")
        owner.publish("acme", "kit", "1.0.0", description: "the real kit")
        owner.publish("kelvin", "meter", "1.0.0", description: "thermometer")
        for (step, package) in ignored.enumerated() {
            peer.publish(package.scope, package.name, "1.0.\(step)", description: "confusable parsing kit")
        }
        peer.publish("Peer-Tools", "Json_Kit", "1.0.0", description: "another json kit")
        peer.publish("PEER-tools", "json_KIT", "1.1.0", description: "another json kit, again")
        peer.publish("peer-tools", longestName.uppercased(), "1.0.0", description: "the longest name")
        peer.yank("acme", "caf\u{E9}", "1.0.0", reason: "not indexed")
        peer.yank("Peer-Tools", "JSON_KIT", "1.0.0", reason: "superseded")
        peer.transfer("\u{430}cme", to: rotated.key)
        peer.transfer("\u{212A}ELVIN", to: rotated.key)
        peer.rotate(to: rotated.identity)
        rotated.publish("peer-tools", "json_kit", "1.2.0", description: "after the rotation")
        mirror.count(period: 1, [
            "acme/caf\u{E9}": 9, "acme/json-kit": 5, "peer-tools/json_kit": 3, "zope/zope.interface": 9, "\u{430}cme/json-kit": 9,
        ])
        return ([owner, peer, rotated, mirror].map(\.events), owner.key, peer.key)
    }

    @Test(arguments: [1, 2, 6])
    func incrementalBatchesIndexOnlySwiftPMNames(batchSize: Int) throws {
        let (feeds, owner, peer) = Self.feeds()
        var rng = SeededGenerator(seed: UInt64(batchSize))
        let events = RegistryViewsTestSupport.interleave(feeds, using: &rng)
        let directory = try TemporaryDirectory()
        let store = try RegistryViewsTestSupport.openRegistryStore(directory)
        for start in stride(from: 0, to: events.count, by: batchSize) {
            let batch = Array(events[start..<min(events.count, start + batchSize)])
            #expect(try store.append(batch, verification: .chain).allSatisfy(PreparedAppendTests.appended))
        }
        try Self.expectOnlySwiftPMNames(store, events: events, owner: owner, peer: peer, "batches of \(batchSize)")
        let comparison = try store.verifyViews()
        #expect(comparison.equal, "batches of \(batchSize): \(comparison.mismatch?.description ?? "")")
    }

    @Test func aRebuildIndexesOnlySwiftPMNames() throws {
        let (feeds, owner, peer) = Self.feeds()
        let events = feeds.flatMap { $0 }
        let directory = try TemporaryDirectory()
        let store = try RegistryViewsTestSupport.openRegistryStore(directory)
        #expect(try store.append(events, verification: .chain).allSatisfy(PreparedAppendTests.appended))
        let incremental = try RegistryViewsTestSupport.snapshot(store)
        // All in memory, and one event in memory with the rest page by page.
        for bulkLimit in [Store.bulkRebuildLimit, 1] {
            try store.rebuildViews(pageSize: 5, bulkLimit: bulkLimit)
            DeferredViewsTests.expectSame(try RegistryViewsTestSupport.snapshot(store), incremental, "bulk \(bulkLimit)")
            try Self.expectOnlySwiftPMNames(store, events: events, owner: owner, peer: peer, "bulk \(bulkLimit)")
        }
        #expect(try store.verifyViews().equal)
    }

    static func expectOnlySwiftPMNames(_ store: Store, events: [Event], owner: PublicKey, peer: PublicKey, _ comment: Comment) throws {
        // The log keeps every event, indexed or not.
        #expect(try store.lastLocalSeq() == UInt64(events.count), comment)
        for event in events { #expect(try store.event(id: event.id)?.bytes == event.bytes, comment) }

        for package in ignored {
            #expect(try store.packageState(PackageKey(scope: package.scope, name: package.name)) == nil, comment)
        }
        let kit = try #require(try store.packageState(PackageKey(scope: "acme", name: "kit")), comment)
        #expect(kit.releases.map(\.author) == [owner] && !kit.contested, comment)
        // Releases under ignored names claim no scope; transfers of ignored scopes are not kept.
        #expect(try store.scopeState("acme")?.claimants.map(\.principal) == [owner], comment)
        #expect(try store.scopeState("kelvin")?.transfers.isEmpty == true, comment)
        for scope in ["\u{430}cme", "zope"] { #expect(try store.scopeState(scope) == nil, comment) }

        // Valid names fold case-insensitively, and are found in any case.
        let tools = try #require(try store.packageState(PackageKey(scope: "PEER-TOOLS", name: "JSON_kit")), comment)
        #expect(tools.releases.map(\.version).sorted() == ["1.0.0", "1.1.0", "1.2.0"], comment)
        #expect(tools.releases.filter(\.yanked).map(\.version) == ["1.0.0"], comment)
        #expect(tools.claimants.map(\.principal) == [peer], comment)
        #expect(try store.packageState(PackageKey(scope: "peer-tools", name: longestName)) != nil, comment)
        #expect(try store.search(query: "Peer-Tools/JSON_KIT").first?.summary.package == PackageKey("peer-tools/json_kit"), comment)
        #expect(try store.search(query: "ACME/Kit").first?.summary.package == PackageKey("acme/kit"), comment)

        // Search shows nothing the views do not index, whatever the query.
        let queries = ["kit", "json-kit", "caf\u{E9}", "cafe\u{301}", "\u{430}cme/json-kit", "acme/\u{212A}IT", "zope.interface", "confusable"]
        for query in queries {
            let found = try store.search(query: query, filters: SearchFilters(includeYanked: true)).map(\.summary.package.description)
            #expect(found.allSatisfy(indexed.contains), "\(comment): \(query) found \(found)")
        }
        #expect(Set(try store.search(query: "kit").map(\.summary.package.description)).isSuperset(of: ["acme/kit", "acme/json-kit", "peer-tools/json_kit"]), comment)
        #expect(try store.search(query: "confusable").isEmpty, comment)

        // Counts of ignored names are not kept: the mirror's two valid ones are.
        let counts = try #require(store.viewDatabases.named("retrievalCounts"))
        #expect(try store.read { txn in try txn.statistics(counts).entries } == 2, comment)
    }
}
