import AgoraCore
import AgoraTestSupport
import Foundation
import Testing
@testable import AgoraStore

/// A rebuild appends each DUPFIXED key's values as one `MDB_MULTIPLE` run: keys with
/// thousands of values (sub-databases of several pages), single values, runs cut by the
/// transaction budget, must leave exactly what putting every value one by one leaves.
@Suite struct BulkAppendRunTests {
    /// Each release event's ID under a key drawn from its ID: a few crowded keys, and about a
    /// quarter of the events under a key of their own.
    struct RunViews: ViewMaintainer {
        var viewVersion: UInt32 { 1 }
        var databaseSpecs: [DatabaseSpec] { [DatabaseSpec("runValues", flags: [.duplicateSort, .duplicateFixed])] }

        static func pair(_ event: Event) -> (key: [UInt8], value: [UInt8])? {
            guard case .releasePublished? = try? event.decodedBody() else { return nil }
            let id = event.id.bytes
            return (id[1] < 64 ? Array(id.prefix(6)) : [UInt8(id[0] % 3)], id)
        }

        func apply(_ events: [Event], in txn: WriteTransaction, store: StoreDatabases, views: ViewDatabases) throws {
            for event in events {
                if let pair = Self.pair(event) { try txn.put(views.all[0], key: pair.key, value: pair.value) }
            }
        }

        func bulkFold(_ events: [Event], store: StoreDatabases, views: ViewDatabases) throws -> [SortedEntries]? {
            let pairs = events.compactMap(Self.pair).sorted {
                $0.key == $1.key ? $0.value.lexicographicallyPrecedes($1.value) : $0.key.lexicographicallyPrecedes($1.key)
            }
            var arena: [UInt8] = []
            var entries: [SortedEntries.Entry] = []
            for pair in pairs {
                entries.append(SortedEntries.Entry(start: arena.count, keyCount: Int32(pair.key.count), valueCount: Int32(pair.value.count)))
                arena += pair.key + pair.value
            }
            return [SortedEntries(database: views.all[0], arena: arena, entries: entries)]
        }
    }

    private static func content(_ store: Store) throws -> [[UInt8]] {
        try store.read { txn in
            var all: [[UInt8]] = []
            try txn.forEach(store.viewDatabases.all[0]) { entry in
                all.append(Array(entry.key) + [0xFF] + Array(entry.value))
                return true
            }
            return all
        }
    }

    @Test func runsEqualSinglePuts() throws {
        let directory = try TemporaryDirectory()
        let store = try openStore(directory, views: RunViews())
        var feeds = (1...3).map { FeedBuilder(seed: UInt8(60 + $0)) }
        for round in 0..<700 {
            for index in feeds.indices { feeds[index].publish("scope\(index)", "pkg\(round % 7)", "1.\(round).0") }
        }
        _ = try store.append(feeds.flatMap(\.events), verification: .none)
        let incremental = try Self.content(store)
        let crowded = Dictionary(grouping: incremental, by: { $0[0..<($0.firstIndex(of: 0xFF) ?? 0)] }).values.map(\.count)
        #expect(crowded.max() ?? 0 > 500)
        #expect(crowded.filter { $0 == 1 }.count > 100)
        // Whole runs in one transaction; runs cut by budgets of a few values and of a few
        // pages, and a budget below one entry (one value per transaction).
        for budget in [Store.bulkTransactionBytes, 40_000, 777, 1] {
            try store.rebuildViews(transactionBytes: budget)
            #expect(try Self.content(store) == incremental, "budget \(budget)")
        }
    }
}
