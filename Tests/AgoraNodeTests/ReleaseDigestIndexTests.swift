import AgoraCore
import AgoraMigrations
@testable import AgoraNode
import AgoraStore
import AgoraTestSupport
import AgoraViews
import Testing

@Suite struct ReleaseDigestIndexTests {
    /// Seeded feeds of releases (digests shared between packages, yanks in between) appended
    /// in batches: after each batch every digest seen maps to the first package whose release
    /// named it, and a digest no release names maps to nothing.
    @Test(arguments: [1, 2, 3] as [UInt64]) func digestsMapToTheFirstPackageNamingThem(seed: UInt64) async throws {
        let folder = try TemporaryDirectory()
        let store = try Store(home: folder.url, migrations: AgoraMigrations.all, views: RegistryViews())
        let index = ReleaseDigestIndex(store: store)
        var random = SplitMix64(seed: seed)
        var feeds = (0..<3).map { FeedBuilder(seed: UInt8(40 + $0)) }
        var expected: [BlobDigest: ReleaseDigestIndex.Package] = [:]
        for batch in 0..<6 {
            var events: [Event] = []
            for step in 0..<40 {
                let author = Int(random.next() % 3)
                let name = "p\(random.next() % 9)"
                let digestByte = UInt8(random.next() % 100)
                events.append(feeds[author].publish("s\(author)", name, "1.\(batch).\(step)", digestByte: digestByte))
                let digest = try #require(BlobDigest(bytes: [UInt8](repeating: digestByte, count: 32)))
                if expected[digest] == nil { expected[digest] = .init(scope: "s\(author)", name: name) }
                if random.next() % 5 == 0 { events.append(feeds[author].yank("s\(author)", name, "1.\(batch).\(step)", reason: "r")) }
            }
            _ = try store.append(events, verification: .chain)
            for (digest, package) in expected {
                #expect(await index.package(of: digest) == package)
            }
            #expect(await index.package(of: try #require(BlobDigest(bytes: [UInt8](repeating: 200, count: 32)))) == nil)
        }
    }
}
