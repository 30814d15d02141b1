import AgoraTestSupport
import Testing
@testable import AgoraViews

/// The radix sort of index changes must give exactly the order of the comparison it replaces
/// (key bytes, then value bytes, shorter first on a common prefix): every view a rebuild or a
/// batch writes depends on it.
@Suite struct ChangeOrderTests {
    /// Keys and values drawn to hit every branch: lengths around the 8-byte chunk edges, zero
    /// bytes against padding, a few distinct values per byte so long ties are common, equal
    /// pairs (which netting sums), and runs of long shared keys deeper than `maxDepth`.
    static func changes(count: Int, seed: UInt64) -> (arena: [UInt8], changes: [IndexChanges.Change]) {
        var rng = SeededGenerator(seed: seed)
        let lengths = [0, 1, 7, 8, 9, 15, 16, 17, 24, 40]
        let longKey = (0..<(ChangeOrder.maxDepth * 8 + 20)).map { UInt8(truncatingIfNeeded: $0 * 7 &+ 3) }
        var arena: [UInt8] = []
        var changes: [IndexChanges.Change] = []
        for index in 0..<count {
            let start = arena.count
            var key: [UInt8]
            if index % 5 == 0 {
                key = longKey
                key.append(UInt8.random(in: 0...2, using: &rng))
            } else {
                let length = lengths.randomElement(using: &rng)!
                key = (0..<length).map { _ in UInt8.random(in: 0...2, using: &rng) }
            }
            if index > 0, index % 7 == 0, let other = changes.randomElement(using: &rng) {
                // An exact repeat of an earlier pair.
                arena.append(contentsOf: arena[other.start..<(other.start + Int(other.keyCount) + Int(other.valueCount))])
                changes.append(IndexChanges.Change(
                    prefix: other.prefix, start: start, keyCount: other.keyCount, valueCount: other.valueCount, delta: -1))
                continue
            }
            let value = (0..<lengths.randomElement(using: &rng)!).map { _ in UInt8.random(in: 0...3, using: &rng) }
            var prefix: UInt64 = 0
            for (offset, byte) in key.prefix(8).enumerated() { prefix |= UInt64(byte) << (56 - 8 * UInt64(offset)) }
            arena += key
            arena += value
            changes.append(IndexChanges.Change(prefix: prefix, start: start, keyCount: Int32(key.count), valueCount: Int32(value.count), delta: 1))
        }
        return (arena, changes)
    }

    @Test(arguments: [0, 1, 2, ChangeOrder.radixThreshold - 1, ChangeOrder.radixThreshold, 1_000, 20_000])
    func radixOrderEqualsComparisonOrder(count: Int) {
        for seed in UInt64(1)...3 {
            let (arena, changes) = Self.changes(count: count, seed: seed &* 1_000 &+ UInt64(count))
            arena.withUnsafeBytes { arena in
                var radix = changes
                ChangeOrder.sort(&radix, arena)
                let compared = changes.sorted { IndexChanges.compare(arena, $0, $1) < 0 }
                let pairs = { (sorted: [IndexChanges.Change]) in
                    sorted.map { Array(arena[$0.start..<($0.start + Int($0.keyCount) + Int($0.valueCount))]) + [UInt8(truncatingIfNeeded: $0.keyCount)] }
                }
                #expect(pairs(radix) == pairs(compared), "seed \(seed), \(count) changes")
                #expect(radix.count == changes.count)
            }
        }
    }
}
