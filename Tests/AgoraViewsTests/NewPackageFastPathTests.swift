import AgoraCore
import AgoraMigrations
import AgoraStore
import AgoraTestSupport
import Testing
@testable import AgoraViews

/// The direct fold of a package first seen in a batch must leave exactly the views the
/// general fold leaves.
@Suite struct NewPackageFastPathTests {
    static let words = ["json", "http", "client", "parser", "fast", "yaml", "async", "tiny", "Kit", "db"]

    /// Six feeds publishing a seeded mix: mostly first releases, some later versions, packages
    /// two feeds contest, yanks, a scope transfer and a key rotation with releases on both keys.
    static func feeds(seed: UInt64) -> [[Event]] {
        var rng = SeededGenerator(seed: seed)
        var builders = (UInt8(20)..<UInt8(25)).map { FeedBuilder(seed: $0) }
        var successor = FeedBuilder(seed: 30)
        var published: [(feed: Int, scope: String, name: String, version: String)] = []
        for step in 0..<300 {
            let feed = Int.random(in: 0..<builders.count, using: &rng)
            let scope = "s\(feed)"
            switch Int.random(in: 0..<10, using: &rng) {
            case 0 where !published.isEmpty:
                // Another version of a package already published, perhaps by another feed (a contest).
                let earlier = published.randomElement(using: &rng)!
                let version = "2.\(step).0"
                builders[feed].publish(earlier.scope, earlier.name, version, description: "again \(Self.words.randomElement(using: &rng)!)")
                published.append((feed, earlier.scope, earlier.name, version))
            case 1 where !published.isEmpty:
                let earlier = published.randomElement(using: &rng)!
                builders[earlier.feed].yank(earlier.scope, earlier.name, earlier.version, reason: "bad")
            default:
                let name = (0..<Int.random(in: 1...3, using: &rng)).map { _ in Self.words.randomElement(using: &rng)! }.joined(separator: "-") + "\(step)"
                builders[feed].publish(scope, name, "1.0.\(step)", description: "\(name) does \(Self.words.randomElement(using: &rng)!) things",
                                       keywords: [Self.words.randomElement(using: &rng)!])
                published.append((feed, scope, name, "1.0.\(step)"))
            }
            if step == 120 {
                let owner = builders[2].key
                builders[1].transfer("s1", to: owner)
            }
            if step == 200 {
                builders[3].rotate(to: successor.identity)
                successor.publish("s3", "rotated\(step)", "1.0.0", description: "after the rotation")
            }
        }
        return builders.map(\.events) + [successor.events]
    }

    @Test(arguments: [UInt64(1), 2, 3])
    func fastAndGeneralFoldsGiveIdenticalViews(seed: UInt64) throws {
        let feeds = Self.feeds(seed: seed)
        var snapshots: [[String: [UInt8]]] = []
        for fastPath in [true, false] {
            var rng = SeededGenerator(seed: seed)
            let events = RegistryViewsTestSupport.interleave(feeds, using: &rng)
            let directory = try TemporaryDirectory()
            let store = try Store(home: directory.url, migrations: AgoraMigrations.all, views: RegistryViews(newPackageFastPath: fastPath))
            #expect(try RegistryViewsTestSupport.appendInBatches(events, to: store, maxBatch: 64, using: &rng))
            snapshots.append(try RegistryViewsTestSupport.snapshot(store))
        }
        #expect(snapshots[0]["releases"]?.isEmpty == false)
        #expect(snapshots[0]["postings"]?.isEmpty == false)
        for (name, bytes) in snapshots[1] { #expect(snapshots[0][name] == bytes, "view \(name) differs for seed \(seed)") }
        #expect(snapshots[0].count == snapshots[1].count)
    }
}
