import AgoraStore
import Foundation

/// The index entries one batch adds and removes, written when the batch ends: sorted by key, so
/// each tree is walked once in order, with an entry both removed and added (a package whose
/// new document shares most terms with its old one) written not at all, and the new values of
/// one key in a DUPFIXED database put in one `MDB_MULTIPLE` call.
struct IndexChanges {
    private struct Change {
        var key: [UInt8]
        var value: [UInt8]
        /// +1 adds the pair, −1 removes it.
        var delta: Int
    }

    private var changes: [[Change]]
    let databases: [Database]

    init(_ databases: [Database]) {
        self.databases = databases
        changes = Array(repeating: [], count: databases.count)
    }

    mutating func add(_ database: Int, key: [UInt8], value: [UInt8]) {
        changes[database].append(Change(key: key, value: value, delta: 1))
    }

    mutating func remove(_ database: Int, key: [UInt8], value: [UInt8]) {
        changes[database].append(Change(key: key, value: value, delta: -1))
    }

    /// Writes every change and forgets them.
    mutating func write(_ txn: WriteTransaction) throws {
        for (index, db) in databases.enumerated() where !changes[index].isEmpty {
            try Self.write(Self.net(changes[index]), to: db, txn)
            changes[index] = []
        }
    }

    /// Sums the deltas of each (key, value) pair, dropping pairs that come to zero. Sorted by
    /// key, then value (indices are sorted, so the arrays are not moved around).
    private static func net(_ changes: [Change]) -> [Change] {
        let order = changes.indices.sorted { lhs, rhs in
            let byKey = compare(changes[lhs].key, changes[rhs].key)
            return byKey != 0 ? byKey < 0 : compare(changes[lhs].value, changes[rhs].value) < 0
        }
        var out: [Change] = []
        out.reserveCapacity(changes.count)
        for index in order {
            let change = changes[index]
            if let last = out.last, last.key == change.key, last.value == change.value {
                out[out.count - 1].delta += change.delta
            } else {
                out.append(change)
            }
        }
        return out.filter { $0.delta != 0 }
    }

    /// Byte order, as LMDB compares keys: negative, zero or positive.
    private static func compare(_ lhs: [UInt8], _ rhs: [UInt8]) -> Int {
        lhs.withUnsafeBufferPointer { left in
            rhs.withUnsafeBufferPointer { right in
                let common = min(left.count, right.count)
                if common > 0, let l = left.baseAddress, let r = right.baseAddress {
                    let order = memcmp(l, r, common)
                    if order != 0 { return Int(order) }
                }
                return left.count - right.count
            }
        }
    }

    private static func write(_ changes: [Change], to db: Database, _ txn: WriteTransaction) throws {
        let duplicates = db.spec.flags.contains(.duplicateSort)
        for (index, change) in changes.enumerated() where change.delta < 0 {
            if duplicates {
                try txn.delete(db, key: change.key, value: change.value)
                continue
            }
            // Changes are sorted by key: a put of the same key is a neighbour.
            var replaced = false
            for other in [index - 1, index + 1] where changes.indices.contains(other) {
                if changes[other].key == change.key && changes[other].delta > 0 { replaced = true }
            }
            if !replaced { try txn.delete(db, key: change.key) }
        }
        let puts = changes.filter { $0.delta > 0 }
        guard db.spec.flags.contains(.duplicateFixed) else {
            for change in puts { try txn.put(db, key: change.key, value: change.value) }
            return
        }
        try txn.withCursor(db) { cursor in
            var start = 0
            while start < puts.count {
                var end = start + 1
                let size = puts[start].value.count
                while end < puts.count, puts[end].key == puts[start].key, puts[end].value.count == size { end += 1 }
                if end - start == 1 {
                    try cursor.put(key: puts[start].key, value: puts[start].value)
                } else {
                    var run: [UInt8] = []
                    run.reserveCapacity((end - start) * size)
                    for change in puts[start..<end] { run.append(contentsOf: change.value) }
                    try cursor.putRun(key: puts[start].key, values: run, valueSize: size)
                }
                start = end
            }
        }
    }
}
