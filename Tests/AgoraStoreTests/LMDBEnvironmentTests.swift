import CLMDB
import Foundation
import AgoraTestSupport
import Testing
@testable import AgoraStore

@Suite struct LMDBEnvironmentTests {
    let spec = DatabaseSpec("plain")
    let fixedSpec = DatabaseSpec("fixed", flags: [.duplicateSort, .duplicateFixed])

    @Test func putGetDeleteAndRanges() throws {
        let directory = try TemporaryDirectory()
        let env = try Environment(path: directory.path)
        let db = try env.write { try $0.createDatabase(spec) }
        try env.write { txn in
            for index: UInt64 in 0..<100 { try txn.put(db, key: BigEndian.bytes(index), value: Array("v\(index)".utf8)) }
        }
        try env.read { txn in
            #expect(try txn.get(db, key: BigEndian.bytes(UInt64(42))) == Array("v42".utf8))
            #expect(try txn.get(db, key: BigEndian.bytes(UInt64(100))) == nil)
            #expect(try txn.count(db) == 100)
            var seen: [UInt64] = []
            try txn.forEach(db, from: BigEndian.bytes(UInt64(90))) { entry in
                seen.append(BigEndian.uint64(entry.key)!)
                return seen.count < 5
            }
            #expect(seen == [90, 91, 92, 93, 94])
        }
        let removed = try env.write { try $0.delete(db, key: BigEndian.bytes(UInt64(42))) }
        let removedAgain = try env.write { try $0.delete(db, key: BigEndian.bytes(UInt64(42))) }
        #expect(removed && !removedAgain)
        #expect(try env.read { try $0.contains(db, key: BigEndian.bytes(UInt64(42))) } == false)
    }

    @Test func abortedWriteLeavesNothing() throws {
        struct Boom: Error {}
        let directory = try TemporaryDirectory()
        let env = try Environment(path: directory.path)
        let db = try env.write { try $0.createDatabase(spec) }
        #expect(throws: Boom.self) {
            try env.write { txn in
                try txn.put(db, key: [1], value: [1])
                throw Boom()
            }
        }
        #expect(try env.read { try $0.count(db) } == 0)
    }

    @Test func duplicateFixedRunsReturnEveryValueInOrder() throws {
        let directory = try TemporaryDirectory()
        let env = try Environment(path: directory.path)
        let db = try env.write { try $0.createDatabase(fixedSpec) }
        let count = 5_000
        let values = (0..<count).map { UInt64($0 * 3) }
        let packed = values.reversed().flatMap { BigEndian.bytes($0) + [UInt8($0 % 251)] }
        try env.write { txn in
            try txn.withCursor(db) { cursor in
                for entry in stride(from: 0, to: packed.count, by: 9) {
                    try cursor.put(key: Array("token".utf8), value: packed[entry..<entry + 9])
                }
            }
            try txn.withCursor(db) { try $0.putRun(key: Array("other".utf8), values: packed, valueSize: 9) }
        }
        try env.read { txn in
            for key in ["token", "other"] {
                var runs = 0
                var read: [UInt64] = []
                let found = try txn.withCursor(db) { cursor in
                    try cursor.forEachRun(of: Array(key.utf8)) { run in
                        runs += 1
                        for offset in stride(from: 0, to: run.count, by: 9) {
                            read.append(UInt64(bigEndian: run.loadUnaligned(fromByteOffset: offset, as: UInt64.self)))
                        }
                        return true
                    }
                }
                #expect(found)
                #expect(read == values)
                #expect(runs > 1, "5,000 entries span several pages")
            }
            let absent = try txn.withCursor(db) { try $0.forEachRun(of: Array("absent".utf8)) { _ in true } }
            #expect(!absent)
        }
    }

    /// A prefix scan hands out the entries a sorted list of every (key, value) pair holds from
    /// the first key at or after the prefix while keys start with it, up to the limit, a
    /// key's duplicates in their order: seeded keys over a three-letter alphabet (so prefixes
    /// are shared and some keys are prefixes of others), one to three values each, enough to
    /// span pages; prefixes empty, absent, past the last key and longer than the keys.
    @Test func prefixScansReadWhatASortedListHolds() throws {
        let directory = try TemporaryDirectory()
        let env = try Environment(path: directory.path)
        let db = try env.write { try $0.createDatabase(fixedSpec) }
        var rng = SeededGenerator(seed: 73)
        func word(_ length: ClosedRange<Int>) -> [UInt8] {
            (0..<Int.random(in: length, using: &rng)).map { _ in UInt8(ascii: "a") + UInt8.random(in: 0...2, using: &rng) }
        }
        var entries = Set<[UInt8]>()
        for _ in 0..<3_000 {
            let key = word(1...7)
            for _ in 0..<Int.random(in: 1...3, using: &rng) { entries.insert(key + BigEndian.bytes(UInt64.random(in: 0...9, using: &rng))) }
        }
        // LMDB's order: keys as bytes (a prefix first), then a key's values as bytes.
        let pairs = entries.map { (key: Array($0.dropLast(8)), value: Array($0.suffix(8))) }.sorted {
            $0.key != $1.key ? $0.key.lexicographicallyPrecedes($1.key) : $0.value.lexicographicallyPrecedes($1.value)
        }
        try env.write { txn in for pair in pairs { try txn.put(db, key: pair.key, value: pair.value) } }
        var prefixes: [[UInt8]] = [[], Array("d".utf8), Array("ccccccccc".utf8), Array("aaaaaaaaaa".utf8)]
        for _ in 0..<300 { prefixes.append(word(1...4)) }
        try env.read { txn in
            for prefix in prefixes {
                let limit = [0, 1, 5, 40, 10_000].randomElement(using: &rng)!
                let expected = pairs.filter { $0.key.starts(with: prefix) }.prefix(limit).map { $0.key + $0.value }
                var read: [[UInt8]] = []
                try txn.withCursor(db) { cursor in
                    try cursor.forEach(prefix: prefix, limit: limit) { read.append(Array($0.key) + Array($0.value)) }
                }
                #expect(read == expected, "prefix \(String(decoding: prefix, as: UTF8.self)), limit \(limit)")
            }
        }
    }

    /// LMDB keeps a key's only value without a duplicate sub-database, where
    /// MDB_GET_MULTIPLE returns nothing; one and two values are the edge.
    @Test(arguments: [1, 2, 3])
    func duplicateFixedRunsOfFewValues(count: Int) throws {
        let directory = try TemporaryDirectory()
        let env = try Environment(path: directory.path)
        let db = try env.write { try $0.createDatabase(fixedSpec) }
        let values = (0..<count).map { BigEndian.bytes(UInt64($0 + 1)) }
        try env.write { txn in for value in values { try txn.put(db, key: [7], value: value) } }
        let read = try env.read { txn in
            try txn.withCursor(db) { cursor in
                var read: [[UInt8]] = []
                try cursor.forEachRun(of: [7]) { run in
                    for offset in stride(from: 0, to: run.count, by: 8) { read.append(Array(run[offset..<offset + 8])) }
                    return true
                }
                return read
            }
        }
        #expect(read == values)
    }

    @Test func runReadsRefuseNonFixedDatabases() throws {
        let directory = try TemporaryDirectory()
        let env = try Environment(path: directory.path)
        let db = try env.write { try $0.createDatabase(spec) }
        #expect(throws: LMDBError.self) {
            try env.read { txn in try txn.withCursor(db) { try $0.forEachRun(of: [1]) { _ in true } } }
        }
    }

    @Test func errorsNameTheOperationAndLMDBReason() {
        let error = LMDBError(code: MDB_MAP_FULL, operation: "put into log")
        #expect(error.description.contains("put into log"))
        #expect(error.description.contains("MDB_MAP_FULL"))
        #expect(error.isMapFull)
        #expect(LMDBError(code: ENOSPC, operation: "commit").isDiskFull)
        #expect(Environment.mapped(LMDBError(code: ENOSPC, operation: "commit"), path: "/x") == .diskFull(path: "/x", operation: "commit"))
    }

    @Test func mapGrowsWhenFull() throws {
        let directory = try TemporaryDirectory()
        let env = try Environment(path: directory.path, configuration: EnvironmentConfiguration(initialMapSize: 1 << 20))
        let db = try env.write { try $0.createDatabase(spec) }
        let value = [UInt8](repeating: 7, count: 1000)
        try env.write { txn in
            for index: UInt64 in 0..<8_000 { try txn.put(db, key: BigEndian.bytes(index), value: value) }
        }
        #expect(env.mapSize >= 8 << 20)
        #expect(try env.read { try $0.count(db) } == 8_000)
    }

    @Test func mapFullAtCapIsAClearErrorAndKeepsCommittedData() throws {
        let directory = try TemporaryDirectory()
        let env = try Environment(path: directory.path, configuration: EnvironmentConfiguration(initialMapSize: 1 << 20, maxMapSize: 2 << 20))
        let db = try env.write { try $0.createDatabase(spec) }
        try env.write { txn in try txn.put(db, key: [0], value: [1, 2, 3]) }
        let value = [UInt8](repeating: 9, count: 4000)
        do {
            try env.write { txn in
                for index: UInt64 in 1...2_000 { try txn.put(db, key: BigEndian.bytes(index), value: value) }
            }
            Issue.record("an 8 MB write fit in a 2 MB map")
        } catch let error as StoreError {
            guard case .storeFull(let mapSize, let cap) = error else { throw error }
            #expect(mapSize == 2 << 20 && cap == 2 << 20)
            #expect(error.description.contains("store is full"))
        }
        try env.read { txn throws in
            #expect(try txn.get(db, key: [0]) == [1, 2, 3])
            #expect(try txn.count(db) == 1)
        }
        try env.write { txn in try txn.put(db, key: [1], value: [4]) }
        #expect(try env.read { try $0.get(db, key: [1]) } == [4])
    }

    @Test func readersRunOnManyThreadsWhileAWriterCommits() async throws {
        let directory = try TemporaryDirectory()
        let env = try Environment(path: directory.path, configuration: EnvironmentConfiguration(initialMapSize: 1 << 20))
        let db = try env.write { try $0.createDatabase(spec) }
        try env.write { txn in try txn.put(db, key: BigEndian.bytes(UInt64(0)), value: [0]) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for batch: UInt64 in 1...50 {
                    try env.write { txn in
                        for index in 0..<100 { try txn.put(db, key: BigEndian.bytes(batch * 1000 + UInt64(index)), value: [UInt8](repeating: 1, count: 500)) }
                    }
                }
            }
            for _ in 0..<4 {
                group.addTask {
                    var last = 0
                    for _ in 0..<200 {
                        let count = try env.read { try $0.count(db) }
                        #expect(count >= last, "snapshots only move forward")
                        #expect(count % 100 == 1, "a reader never sees half a batch")
                        last = count
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(try env.read { try $0.count(db) } == 5_001)
    }
}
