import AgoraCore
import AgoraTestSupport
import Testing
@testable import AgoraViews

/// Both folds group package events by sorting key bytes by radix (`KeyRuns`): the runs must be
/// the keys in byte order, equal keys together whatever their prefix, length or position, and a
/// prepared batch's packages must come out sorted once across its parts.
@Suite struct KeyRunsTests {
    /// Keys around the 8-byte prefix edge, of few distinct bytes (prefixes shared by many keys,
    /// zero bytes against the padding, empty keys), each added once or more at scattered
    /// positions.
    @Test(arguments: [0, 1, ChangeOrder.radixThreshold - 1, ChangeOrder.radixThreshold, 2_000])
    func runsAreTheKeysInByteOrderWithTheirPositions(count: Int) {
        var rng = SeededGenerator(seed: UInt64(count) &+ 11)
        let lengths = [0, 1, 3, 7, 8, 9, 15, 16, 17]
        var keys: [[UInt8]] = []
        for _ in 0..<count {
            if !keys.isEmpty, Int.random(in: 0..<3, using: &rng) == 0, let again = keys.randomElement(using: &rng) {
                keys.append(again)
            } else {
                keys.append((0..<lengths.randomElement(using: &rng)!).map { _ in UInt8.random(in: 0...2, using: &rng) })
            }
        }
        var runs = KeyRuns(capacity: count)
        for (position, key) in keys.enumerated() { runs.add(key, position: position) }
        #expect(runs.count == count)
        var grouped: [(key: [UInt8], positions: [Int])] = []
        runs.forEachRun { key, positions in grouped.append((Array(key), Array(positions))) }

        let order = keys.indices.sorted { ByteOrder.compare(keys[$0], keys[$1]) < 0 || (keys[$0] == keys[$1] && $0 < $1) }
        var expected: [(key: [UInt8], positions: [Int])] = []
        for position in order {
            if expected.last?.key == keys[position] { expected[expected.count - 1].positions.append(position) } else { expected.append((keys[position], [position])) }
        }
        #expect(grouped.map(\.key) == expected.map(\.key))
        #expect(grouped.map(\.positions) == expected.map(\.positions))
    }

    /// Packages shorter than 8 bytes, exactly 8, and longer ones sharing their first 8, each
    /// released or yanked in several parts of one prepared batch, with events of no package.
    @Test(arguments: [UInt64(1), 2])
    func preparedPackagesAreSortedOnceAcrossParts(seed: UInt64) throws {
        var rng = SeededGenerator(seed: seed)
        let packages = [("ab", "c"), ("ab", "cdefg"), ("ab", "cdefgh"), ("ab", "cdefgh1"), ("ab", "cdefgh2"), ("abcdefgh", "x"), ("abcdefgh", "y")]
        var feeds = (0..<3).map { FeedBuilder(seed: UInt8(50 + $0)) }
        var events: [Event] = []
        for step in 0..<200 {
            let feed = Int.random(in: 0..<feeds.count, using: &rng)
            let (scope, name) = packages.randomElement(using: &rng)!
            if step % 17 == 16 {
                events.append(feeds[feed].transfer(scope, to: feeds[(feed + 1) % feeds.count].key))
            } else {
                events.append(feeds[feed].publish(scope, name, "1.0.\(step)"))
            }
        }
        let directory = try TemporaryDirectory()
        let store = try RegistryViewsTestSupport.openRegistryStore(directory)
        let databases = try RegistryDatabases(store: store.databases, views: store.viewDatabases)
        let made = [37: PreparedBatch.Part(events, 37..<90, databases: databases)]
        for batch in [PreparedBatch(events, databases: databases), PreparedBatch(events, reusing: made, databases: databases)] {
            let distinct = batch.distinctPackages.map(\.bytes)
            #expect(distinct.count == packages.count)
            #expect(zip(distinct, distinct.dropFirst()).allSatisfy { ByteOrder.compare($0, $1) < 0 })
            #expect(batch.packageSlots.count == events.count)
            for (event, slot) in zip(events, batch.packageSlots) {
                let package = ViewBatch.packageKey(of: try? event.decodedBody()).map { PackageKeyBytes($0).bytes }
                #expect(package == (slot < 0 ? nil : distinct[Int(slot)]))
            }
        }
    }
}
