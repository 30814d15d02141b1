import AgoraCore
import AgoraMigrations
import AgoraStore
import AgoraTestSupport
import Testing
@testable import AgoraViews

/// Names from peers are any UTF-8, so two can be the same text in different bytes (`café`
/// precomposed and decomposed). The views index only SwiftPM's ASCII names, so neither is a
/// package; the incremental fold must leave them out as the rebuild does, in any batching, and
/// fold the case spellings of a valid name into one package, or a store's views stop being the
/// fold of its log (`verifyViews` fails).
@Suite struct EquivalentNameTests {
    static let names = ["caf\u{E9}", "cafe\u{301}", "Caf\u{C9}", "CAFE\u{301}", "na\u{EF}ve", "nai\u{308}ve", "Cafe", "CAFE", "cafe"]

    @Test(arguments: [1, 2, 6])
    func onlyTheValidSpellingsMakeAPackage(batchSize: Int) throws {
        var feed = FeedBuilder(seed: 41)
        for (step, name) in Self.names.enumerated() { feed.publish("s9", name, "1.0.\(step)") }
        let directory = try TemporaryDirectory()
        let store = try RegistryViewsTestSupport.openRegistryStore(directory)
        for start in stride(from: 0, to: feed.events.count, by: batchSize) {
            let batch = Array(feed.events[start..<min(feed.events.count, start + batchSize)])
            #expect(try store.append(batch, verification: .chain).allSatisfy(PreparedAppendTests.appended))
        }
        #expect(try store.verifyViews().equal, "batches of \(batchSize)")
        // `Cafe`, `CAFE` and `cafe` are one package of three releases; the rest none.
        let releases = try #require(store.viewDatabases.named("releases"))
        #expect(try store.read { txn in try txn.statistics(releases).entries } == 1, "batches of \(batchSize)")
        #expect(try store.packageState(PackageKey(scope: "S9", name: "CaFe"))?.releases.count == 3)
    }

    /// Keys made from other text (a query) are kept as their bytes, with ASCII capitals alone folded.
    @Test func keysCompareAndHashByBytes() {
        let composed = PackageKey(scope: "s9", name: "caf\u{E9}")
        let decomposed = PackageKey(scope: "s9", name: "cafe\u{301}")
        #expect(composed != decomposed)
        #expect(Set([composed, decomposed, PackageKey(scope: "S9", name: "CAF\u{C9}"), PackageKey(scope: "S9", name: "caf\u{E9}")]).count == 3)
        #expect(composed == PackageKey("s9/caf\u{E9}"))
        #expect(PackageKey(scope: "S9", name: "JSON-Kit") == PackageKey("s9/json-kit"))
        #expect(PackageKey("\u{212A}it/x")?.scope == "\u{212A}it", "no Unicode case mapping: the Kelvin sign is not k")
    }
}
