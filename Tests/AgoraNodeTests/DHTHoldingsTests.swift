import AgoraCore
import AgoraDHT
@testable import AgoraNode
import AgoraStore
import AgoraTestSupport
import AgoraWire
import Testing

@Suite struct DHTHoldingsTests {
    /// Seeded feeds of releases: every author's feed is handed out once, and a package only
    /// once one of its archives is held, however the events and the archives arrive.
    @Test(arguments: [1, 2, 3, 4, 5] as [UInt64]) func packagesAreAnnouncedOnceTheirArchiveIsHeld(seed: UInt64) throws {
        var random = SplitMix64(seed: seed)
        var scanner = HoldingsScanner(maxPending: 1000)
        var held: Set<BlobDigest> = []
        var handedOut: [[UInt8]] = []
        var expected: Set<[UInt8]> = []
        var feeds = (0..<4).map { FeedBuilder(seed: UInt8(10 + $0)) }
        for step in 0..<200 {
            let author = Int(random.next() % 4)
            let package = "p\(random.next() % 12)"
            let digestByte = UInt8(truncatingIfNeeded: step)
            let event = feeds[author].publish("s\(author)", package, "1.0.\(step)", digestByte: digestByte)
            scanner.note(event)
            expected.insert(DHTNames.feedProviderKey(author: feeds[author].key))
            let digest = BlobDigest(bytes: [UInt8](repeating: digestByte, count: 32))!
            if random.next() % 3 == 0 {
                held.insert(digest)
                expected.insert(DHTNames.packageProviderKey(scope: "s\(author)", name: package))
            }
            if random.next() % 5 == 0 { handedOut += scanner.takeNewKeys { held.contains($0) } }
        }
        handedOut += scanner.takeNewKeys { held.contains($0) }
        #expect(handedOut.count == Set(handedOut).count)
        #expect(Set(handedOut) == expected)
        #expect(scanner.takeNewKeys { _ in true }.allSatisfy { key in !expected.contains(key) })
    }

    @Test func pendingReleasesAreBounded() {
        var scanner = HoldingsScanner(maxPending: 5)
        var feed = FeedBuilder(seed: 3)
        for index in 0..<50 { scanner.note(feed.publish("s", "p\(index)", "1.0.0", digestByte: UInt8(index))) }
        #expect(scanner.pendingCount == 5)
        // Only the five newest packages are still waiting for their archives.
        let keys = scanner.takeNewKeys { _ in true }
        #expect(keys.contains(DHTNames.packageProviderKey(scope: "s", name: "p49")))
        #expect(!keys.contains(DHTNames.packageProviderKey(scope: "s", name: "p0")))
    }

    @Test(arguments: [
        ("/ip4/127.0.0.1/tcp/4001", true), ("/ip4/0.0.0.0/tcp/4001", true), ("/ip4/203.0.113.9/tcp/1", true),
        ("/ip4/10.1.2.3/tcp/1", false), ("/ip4/192.168.1.2/tcp/1", false), ("/ip4/172.20.0.1/tcp/1", false),
        ("/ip4/100.64.0.1/tcp/1", false), ("/ip6/::1/tcp/1", true), ("/ip6/fd00::1/tcp/1", false),
        ("/ip6/fe80::1/tcp/1", false), ("/ip6/2001:db8::1/tcp/1", true), ("/dns4/node.example/tcp/1", true),
    ])
    func serverModeWhenReachable(address: String, server: Bool) throws {
        let mode = DHTNodeProtocol.automaticMode(listeningOn: [try Multiaddr(parsing: address)])
        #expect(mode == (server ? .server : .client))
    }
}
