import AgoraTestSupport
import Testing
@testable import AgoraDHT

@Suite struct DHTKeyTests {
    @Test(arguments: [1, 2, 3] as [UInt64]) func distanceIsAMetricOnXOR(seed: UInt64) {
        var random = SeededGenerator(seed: seed)
        for _ in 0..<200 {
            let a = DHTKey.random(using: &random), b = DHTKey.random(using: &random)
            #expect(a.distance(to: b) == b.distance(to: a))
            #expect(a.distance(to: a) == .zero)
            #expect(a.commonPrefixLength(with: b) == a.distance(to: b).leadingZeroBitCount)
            #expect(DHTKey(digest: a.bytes) == a)
        }
    }

    @Test func randomKeysFallIntoTheAskedBucket() {
        var random = SeededGenerator(seed: 9)
        let centre = DHTKey.random(using: &random)
        for prefix in 0..<256 {
            let key = centre.randomKey(withCommonPrefix: prefix, using: &random)
            #expect(centre.commonPrefixLength(with: key) == prefix)
        }
    }

    @Test func hashesLikeSHA256() {
        // SHA-256("") = e3b0c442…
        #expect(DHTKey(hashing: [UInt8]()).description == "e3b0c44298fc1c14")
    }
}

@Suite struct RoutingTableTests {
    typealias Table = RoutingTable<Int>

    func check(_ table: Table) {
        var seen = Set<Int>()
        var total = 0
        for index in 0..<table.bucketCount {
            let entries = table.bucketEntries(index)
            #expect(entries.count <= table.bucketSize)
            #expect(table.bucketReplacements(index).count <= table.replacementCacheSize)
            for entry in entries {
                #expect(table.localKey.commonPrefixLength(with: entry.key) == index)
                #expect(seen.insert(entry.peer).inserted, "peer \(entry.peer) twice")
            }
            total += entries.count
        }
        #expect(total == table.count)
    }

    @Test(arguments: [11, 12, 13] as [UInt64]) func invariantsHoldUnderSeededOperations(seed: UInt64) {
        var random = SeededGenerator(seed: seed)
        var table = Table(localKey: .random(using: &random), bucketSize: 20)
        var keys: [Int: DHTKey] = [:]
        var probing: Set<Int> = []
        for step in 0..<5000 {
            let now = Duration.milliseconds(step)
            switch Int.random(in: 0..<10, using: &random) {
            case 0..<6:
                // Biased towards near buckets so they fill and overflow.
                let peer = Int.random(in: 0..<3000, using: &random)
                let key = keys[peer] ?? table.localKey.randomKey(withCommonPrefix: Int.random(in: 0..<8, using: &random), using: &random)
                keys[peer] = key
                if case .cached(let probe) = table.peerResponded(peer, key: key, now: now) {
                    #expect(!probing.contains(probe))
                    probing.insert(probe)
                }
            case 6..<8:
                guard let probe = probing.randomElement(using: &random) else { continue }
                probing.remove(probe)
                let alive = Bool.random(using: &random)
                let before = table.count
                let promoted = table.probeFinished(probe, key: keys[probe]!, alive: alive, now: now)
                if alive { #expect(table.contains(probe, key: keys[probe]!) && promoted == nil) }
                if !alive { #expect(!table.contains(probe, key: keys[probe]!) && table.count == before - (promoted == nil ? 1 : 0)) }
            default:
                guard let peer = keys.keys.randomElement(using: &random) else { continue }
                table.remove(peer, key: keys[peer]!)
                #expect(!table.contains(peer, key: keys[peer]!))
                probing.remove(peer)
            }
            if step % 250 == 0 { check(table) }
        }
        check(table)
        #expect(table.count > 60)
    }

    @Test func aFullBucketChecksItsOldestPeerBeforeEvicting() {
        var random = SeededGenerator(seed: 5)
        var table = Table(localKey: .random(using: &random), bucketSize: 3, replacementCacheSize: 2)
        let keys = (0..<6).map { _ in table.localKey.randomKey(withCommonPrefix: 0, using: &random) }
        for peer in 0..<3 { #expect(table.peerResponded(peer, key: keys[peer], now: .seconds(peer)) == .added) }
        #expect(table.peerResponded(3, key: keys[3], now: .seconds(3)) == .cached(probe: 0))
        #expect(table.peerResponded(4, key: keys[4], now: .seconds(4)) == .cachedWhileProbing)
        #expect(table.bucketEntries(0).map(\.peer) == [0, 1, 2])
        // Alive: 0 stays, now most recently seen; the newcomers wait.
        table.probeFinished(0, key: keys[0], alive: true, now: .seconds(5))
        #expect(table.bucketEntries(0).map(\.peer) == [1, 2, 0])
        #expect(table.peerResponded(5, key: keys[5], now: .seconds(6)) == .cached(probe: 1))
        #expect(table.bucketReplacements(0).map(\.peer) == [4, 5])
        // Dead: 1 goes, the newest replacement (5) takes its place.
        let promoted = table.probeFinished(1, key: keys[1], alive: false, now: .seconds(7))
        #expect(promoted?.peer == 5)
        #expect(table.bucketEntries(0).map(\.peer) == [2, 0, 5])
        #expect(table.bucketReplacements(0).map(\.peer) == [4])
    }

    @Test(arguments: [21, 22] as [UInt64]) func closestMatchesABruteForceSort(seed: UInt64) {
        var random = SeededGenerator(seed: seed)
        var table = Table(localKey: .random(using: &random))
        for peer in 0..<2000 {
            let key = table.localKey.randomKey(withCommonPrefix: Int.random(in: 0..<12, using: &random), using: &random)
            _ = table.peerResponded(peer, key: key, now: .zero)
        }
        for _ in 0..<200 {
            let target: DHTKey = Bool.random(using: &random)
                ? .random(using: &random)
                : table.localKey.randomKey(withCommonPrefix: Int.random(in: 0..<16, using: &random), using: &random)
            let count = Int.random(in: 1...40, using: &random)
            let expected = table.allEntries.sorted { $0.key.distance(to: target) < $1.key.distance(to: target) }.prefix(count)
            #expect(table.closest(to: target, count: count).map(\.peer) == expected.map(\.peer))
        }
    }

    @Test func refreshIsDueOncePerInterval() {
        var random = SeededGenerator(seed: 3)
        var table = Table(localKey: .random(using: &random))
        _ = table.peerResponded(1, key: table.localKey.randomKey(withCommonPrefix: 2, using: &random), now: .zero)
        #expect(table.bucketsDueForRefresh(now: .seconds(599), interval: .seconds(600)).isEmpty)
        #expect(table.bucketsDueForRefresh(now: .seconds(600), interval: .seconds(600)) == [0, 1, 2])
        table.markRefreshed(1, now: .seconds(600))
        #expect(table.bucketsDueForRefresh(now: .seconds(600), interval: .seconds(600)) == [0, 2])
    }
}
