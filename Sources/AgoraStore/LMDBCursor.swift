import Foundation

import CLMDB

/// A position in one database, alive for the `withCursor` call that made it. Entries point
/// into the map (see `RawEntry`).
public struct Cursor {
    let pointer: OpaquePointer
    let database: Database
    let transaction: TransactionHandle

    private func get(_ op: MDB_cursor_op) throws -> RawEntry? {
        var key = MDB_val()
        var data = MDB_val()
        return try get(op, &key, &data)
    }

    private func get(_ op: MDB_cursor_op, _ key: inout MDB_val, _ data: inout MDB_val) throws -> RawEntry? {
        let rc = mdb_cursor_get(pointer, &key, &data, op)
        if rc == MDB_NOTFOUND { return nil }
        try transaction.check(rc, "cursor \(op.rawValue) on \(database.name)")
        return (key.buffer, data.buffer)
    }

    public func first() throws -> RawEntry? { try get(MDB_FIRST) }
    public func last() throws -> RawEntry? { try get(MDB_LAST) }
    public func next() throws -> RawEntry? { try get(MDB_NEXT) }
    public func previous() throws -> RawEntry? { try get(MDB_PREV) }
    public func current() throws -> RawEntry? { try get(MDB_GET_CURRENT) }
    /// The first value of the next key, skipping the current key's other duplicates.
    public func nextKey() throws -> RawEntry? { try get(MDB_NEXT_NODUP) }
    /// The next value of the current key only.
    public func nextDuplicate() throws -> RawEntry? { try get(MDB_NEXT_DUP) }

    /// Moves to the first key ≥ `key`.
    public func seek(_ key: some ContiguousBytes) throws -> RawEntry? {
        try withValue(key) { key in
            var data = MDB_val()
            return try get(MDB_SET_RANGE, &key, &data)
        }
    }

    /// Moves to exactly `key` (its first duplicate).
    public func find(_ key: some ContiguousBytes) throws -> RawEntry? {
        try withValue(key) { key in
            var data = MDB_val()
            return try get(MDB_SET_KEY, &key, &data)
        }
    }

    /// Calls `body` with up to `limit` entries from the first key ≥ `prefix` while their keys
    /// start with `prefix`, in order (a key's duplicates in theirs). One loop over
    /// `mdb_cursor_get`, the prefix compared by `memcmp`: search's name and typo scans read
    /// thousands of entries a query, and stepping through `next()` and a generic prefix test
    /// cost as much again as LMDB's own step.
    public func forEach(prefix: [UInt8], limit: Int, _ body: (RawEntry) throws -> Void) throws {
        guard limit > 0 else { return }
        try prefix.withUnsafeBytes { wanted in
            var key = MDB_val(mv_size: wanted.count, mv_data: UnsafeMutableRawPointer(mutating: wanted.baseAddress))
            var data = MDB_val()
            var rc = mdb_cursor_get(pointer, &key, &data, wanted.isEmpty ? MDB_FIRST : MDB_SET_RANGE)
            var read = 0
            while rc == 0 {
                guard key.mv_size >= wanted.count else { return }
                if let start = wanted.baseAddress, memcmp(key.mv_data, start, wanted.count) != 0 { return }
                try body((key.buffer, data.buffer))
                read += 1
                guard read < limit else { return }
                rc = mdb_cursor_get(pointer, &key, &data, MDB_NEXT)
            }
            if rc != MDB_NOTFOUND { try transaction.check(rc, "cursor scan of \(database.name)") }
        }
    }

    /// Number of values under the current key of a duplicate-sorted database.
    public func duplicateCount() throws -> Int {
        var count: Int = 0
        try transaction.check(mdb_cursor_count(pointer, &count), "count duplicates in \(database.name)")
        return count
    }

    /// Hands out the values of `key` in a DUPFIXED database as contiguous runs (up to a page
    /// each), the way `MDB_GET_MULTIPLE`/`MDB_NEXT_MULTIPLE` return them; stops early when
    /// `body` returns false. Returns false when the key is absent.
    @discardableResult
    public func forEachRun(of key: some ContiguousBytes, _ body: (UnsafeRawBufferPointer) throws -> Bool) throws -> Bool {
        guard database.spec.flags.contains(.duplicateFixed) else {
            throw LMDBError(code: MDB_INCOMPATIBLE, operation: "multiple-value read on \(database.name), which is not DUPFIXED")
        }
        guard let found = try find(key) else { return false }
        var run = try get(MDB_GET_MULTIPLE)
        // A key holding a single value is stored as a plain node, not a duplicate set; LMDB's
        // GET_MULTIPLE then succeeds without touching the data, so the value is the one found.
        if let first = run, first.value.baseAddress == nil {
            _ = try body(found.value)
            return true
        }
        while let entry = run, try body(entry.value) {
            run = try get(MDB_NEXT_MULTIPLE)
        }
        return true
    }

    public func put(key: some ContiguousBytes, value: some ContiguousBytes, flags: PutFlags = []) throws {
        let rc = withValue(key) { key in
            withValue(value) { value in mdb_cursor_put(pointer, &key, &value, flags.rawValue) }
        }
        try transaction.check(rc, "cursor put into \(database.name)")
    }

    /// Writes `count` fixed-size values of one key in a DUPFIXED database in one call. With
    /// `appendDuplicate` the values go after the key's last (and with `append` too, the key
    /// after the database's last), each without a search from the root.
    public func putRun(key: some ContiguousBytes, values: some ContiguousBytes, valueSize: Int, flags: PutFlags = []) throws {
        guard database.spec.flags.contains(.duplicateFixed), valueSize > 0 else {
            throw LMDBError(code: MDB_INCOMPATIBLE, operation: "multiple-value put on \(database.name), which is not DUPFIXED")
        }
        let rc = withValue(key) { key in
            values.withUnsafeBytes { buffer -> Int32 in
                guard buffer.count % valueSize == 0 else { return MDB_BAD_VALSIZE }
                guard buffer.count > 0 else { return 0 }
                var pair = (
                    MDB_val(mv_size: valueSize, mv_data: UnsafeMutableRawPointer(mutating: buffer.baseAddress)),
                    MDB_val(mv_size: buffer.count / valueSize, mv_data: nil))
                return withUnsafeMutableBytes(of: &pair) { raw in
                    mdb_cursor_put(pointer, &key, raw.baseAddress!.assumingMemoryBound(to: MDB_val.self), UInt32(MDB_MULTIPLE) | flags.rawValue)
                }
            }
        }
        try transaction.check(rc, "multiple put into \(database.name)")
    }

    /// Deletes the entry under the cursor.
    public func delete() throws {
        try transaction.check(mdb_cursor_del(pointer, 0), "cursor delete in \(database.name)")
    }
}
