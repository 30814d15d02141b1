import AgoraCore
import AgoraMigrations
import AgoraStore
import AgoraTestSupport
import Testing
@testable import AgoraViews

/// Names from peers are any UTF-8 without `/` or NUL, so two can be the same text in different
/// bytes (`café` precomposed and decomposed). Stored keys are bytes, so they are two packages;
/// the incremental fold must keep them apart as the rebuild does, or a store's views stop
/// being the fold of its log (`verifyViews` fails).
@Suite struct EquivalentNameTests {
    static let names = ["caf\u{E9}", "cafe\u{301}", "Caf\u{C9}", "CAFE\u{301}", "na\u{EF}ve", "nai\u{308}ve"]

    @Test(arguments: [1, 2, 6])
    func canonicallyEquivalentNamesAreSeparatePackages(batchSize: Int) throws {
        var feed = FeedBuilder(seed: 41)
        for (step, name) in Self.names.enumerated() { feed.publish("s9", name, "1.0.\(step)") }
        let directory = try TemporaryDirectory()
        let store = try RegistryViewsTestSupport.openRegistryStore(directory)
        for start in stride(from: 0, to: feed.events.count, by: batchSize) {
            let batch = Array(feed.events[start..<min(feed.events.count, start + batchSize)])
            #expect(try store.append(batch, verification: .chain).allSatisfy(PreparedAppendTests.appended))
        }
        #expect(try store.verifyViews().equal, "batches of \(batchSize)")
        // Lowercased, the six names are four byte strings: é and É fold together, the
        // decomposed forms together, ï and i + ◌̈ stay apart.
        let releases = try #require(store.viewDatabases.named("releases"))
        #expect(try store.read { txn in try txn.statistics(releases).entries } == 4, "batches of \(batchSize)")
    }

    @Test func keysCompareAndHashByBytes() {
        let composed = PackageKey(scope: "s9", name: "caf\u{E9}")
        let decomposed = PackageKey(scope: "s9", name: "cafe\u{301}")
        #expect(composed != decomposed)
        #expect(Set([composed, decomposed, PackageKey(scope: "S9", name: "CAF\u{C9}")]).count == 2)
        #expect(composed == PackageKey("s9/caf\u{E9}"))
    }
}
