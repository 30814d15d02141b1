import AgoraStore
import Foundation
import AgoraTestSupport
import Testing
@testable import AgoraViews

/// A large table of a rebuild is sorted and handed to the writer in key ranges; the ranges,
/// read in the order handed over, must be exactly the table sorted whole.
@Suite struct SortedKeyRangesTests {
    /// Changes over two databases recorded in three parts (as on three cores): keys around
    /// the 8-byte prefix edge, of few distinct bytes (long ties, prefixes shared by many keys,
    /// zero bytes against the padding), values repeated, and removals of recorded pairs.
    static func parts(_ databases: [Database], seed: UInt64) -> [IndexChanges] {
        var rng = SeededGenerator(seed: seed)
        let lengths = [1, 3, 7, 8, 9, 12, 16, 17]
        var recorded: [(database: Int, key: [UInt8], value: [UInt8])] = []
        return (0..<3).map { _ in
            var changes = IndexChanges(databases)
            for _ in 0..<700 {
                if !recorded.isEmpty, Int.random(in: 0..<10, using: &rng) == 0, let pair = recorded.randomElement(using: &rng) {
                    changes.remove(pair.database, key: pair.key, value: pair.value)
                    continue
                }
                let database = Int.random(in: 0..<databases.count, using: &rng)
                let key = (0..<lengths.randomElement(using: &rng)!).map { _ in UInt8.random(in: 0...2, using: &rng) }
                let value = (0..<8).map { _ in UInt8.random(in: 0...1, using: &rng) }
                changes.add(database, key: key, value: value)
                recorded.append((database, key, value))
            }
            return changes
        }
    }

    static func pairs(_ table: SortedEntries) -> [[UInt8]] {
        table.entries.map { entry in
            let count = Int(entry.keyCount) + Int(entry.valueCount)
            return [UInt8](table.arena[entry.start..<(entry.start + count)]) + [UInt8(entry.keyCount)]
        }
    }

    @Test(arguments: [UInt64(1), 2, 3])
    func rangesHandedOverInOrderAreTheWholeTable(seed: UInt64) throws {
        let directory = try TemporaryDirectory()
        let store = try RegistryViewsTestSupport.openRegistryStore(directory)
        let registry = try RegistryDatabases(store: store.databases, views: store.viewDatabases)
        let databases = [registry.postings, registry.names]
        let parts = Self.parts(databases, seed: seed)
        let whole = IndexChanges.sortedEntries([parts], partSize: .max)
        #expect(whole.count == databases.count)
        for partSize in [1, 3, 17, 100, 1_000] {
            let handed = Handed()
            let ranges = IndexChanges.sortedEntries([parts], partSize: partSize) { handed.append($0) }
            for (index, database) in databases.enumerated() {
                let expected = Self.pairs(whole[index])
                let returned = ranges.filter { $0.database == database }.flatMap(Self.pairs)
                let inHandingOrder = handed.tables.filter { $0.database == database }.flatMap(Self.pairs)
                #expect(returned == expected, "\(database) in ranges of \(partSize)")
                #expect(inHandingOrder == expected, "\(database) handed over in ranges of \(partSize)")
                #expect(partSize > expected.count || ranges.filter { $0.database == database }.count > 1)
            }
        }
    }

    final class Handed: @unchecked Sendable {
        private let lock = NSLock()
        private var handed: [SortedEntries] = []

        func append(_ table: SortedEntries) {
            lock.lock()
            handed.append(table)
            lock.unlock()
        }

        var tables: [SortedEntries] {
            lock.lock()
            defer { lock.unlock() }
            return handed
        }
    }
}
