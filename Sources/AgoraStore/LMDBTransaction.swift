import CLMDB
import Foundation

/// An entry as LMDB hands it out: pointers into the memory map, valid until the transaction
/// ends (in a write transaction: until the next change).
public typealias RawEntry = (key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer)

/// Write-only bookkeeping a write transaction shares with `Environment.write`, so a map-full
/// failure is noticed even when the body wraps or swallows the error.
final class WriteState {
    var mapFull = false
}

/// Reads shared by read and write transactions.
public protocol ReadableTransaction {
    var raw: TransactionHandle { get }
}

/// The transaction pointer; only the LMDB layer touches it.
public struct TransactionHandle {
    let pointer: OpaquePointer
    let writeState: WriteState?

    func check(_ rc: Int32, _ operation: @autoclosure () -> String) throws(LMDBError) {
        guard rc == 0 else {
            if rc == MDB_MAP_FULL { writeState?.mapFull = true }
            throw LMDBError(code: rc, operation: operation())
        }
    }
}

public struct ReadTransaction: ReadableTransaction {
    public let raw: TransactionHandle
}

public struct WriteTransaction: ReadableTransaction {
    public let raw: TransactionHandle
}

@inline(__always)
func withValue<R>(_ bytes: some ContiguousBytes, _ body: (inout MDB_val) throws -> R) rethrows -> R {
    try bytes.withUnsafeBytes { buffer in
        var value = MDB_val(mv_size: buffer.count, mv_data: UnsafeMutableRawPointer(mutating: buffer.baseAddress))
        return try body(&value)
    }
}

extension MDB_val {
    var buffer: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: mv_data, count: mv_size) }
}

extension ReadableTransaction {
    /// Zero-copy read: `body` sees the value inside the map; nil when the key is absent.
    public func withValue<R>(_ db: Database, key: some ContiguousBytes, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R? {
        var data = MDB_val()
        let rc = AgoraStore.withValue(key) { key in mdb_get(raw.pointer, db.handle, &key, &data) }
        if rc == MDB_NOTFOUND { return nil }
        try raw.check(rc, "get from \(db.name)")
        return try body(data.buffer)
    }

    public func get(_ db: Database, key: some ContiguousBytes) throws -> [UInt8]? {
        try withValue(db, key: key) { Array($0) }
    }

    public func contains(_ db: Database, key: some ContiguousBytes) throws -> Bool {
        try withValue(db, key: key) { _ in true } ?? false
    }

    /// Runs `body` with a cursor that is closed when it returns.
    public func withCursor<R>(_ db: Database, _ body: (Cursor) throws -> R) throws -> R {
        var cursor: OpaquePointer?
        try raw.check(mdb_cursor_open(raw.pointer, db.handle, &cursor), "open cursor on \(db.name)")
        defer { mdb_cursor_close(cursor) }
        return try body(Cursor(pointer: cursor!, database: db, transaction: raw))
    }

    /// Visits entries in key order starting at the first key ≥ `start` (or the first key),
    /// until `body` returns false. Duplicates of a key are visited in their sort order.
    public func forEach(_ db: Database, from start: [UInt8]? = nil, _ body: (RawEntry) throws -> Bool) throws {
        try withCursor(db) { cursor in
            var entry = try start.flatMap { $0.isEmpty ? nil : $0 }.map { try cursor.seek($0) } ?? cursor.first()
            while let current = entry, try body(current) {
                entry = try cursor.next()
            }
        }
    }

    /// Visits entries whose key starts with `prefix`, in key order.
    public func forEach(_ db: Database, prefix: [UInt8], _ body: (RawEntry) throws -> Bool) throws {
        try forEach(db, from: prefix) { entry in
            guard entry.key.starts(with: prefix) else { return false }
            return try body(entry)
        }
    }

    public func count(_ db: Database) throws -> Int {
        try statistics(db).entries
    }

    /// Entries and pages of a database, as `mdb_stat` reports them.
    public func statistics(_ db: Database) throws -> DatabaseStatistics {
        var stat = MDB_stat()
        try raw.check(mdb_stat(raw.pointer, db.handle, &stat), "stat \(db.name)")
        return DatabaseStatistics(
            entries: stat.ms_entries, branchPages: stat.ms_branch_pages, leafPages: stat.ms_leaf_pages,
            overflowPages: stat.ms_overflow_pages, pageSize: Int(stat.ms_psize))
    }
}

/// What `mdb_stat` says about one database.
public struct DatabaseStatistics: Sendable, Equatable {
    public let entries: Int
    public let branchPages: Int
    public let leafPages: Int
    public let overflowPages: Int
    public let pageSize: Int

    /// Bytes of the pages the database holds.
    public var bytes: Int { (branchPages + leafPages + overflowPages) * pageSize }
}

/// How a put treats an existing key.
public struct PutFlags: OptionSet, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// Fail with MDB_KEYEXIST instead of overwriting.
    public static let noOverwrite = PutFlags(rawValue: UInt32(MDB_NOOVERWRITE))
    /// In a duplicate-sorted database, fail if this exact key/value pair exists.
    public static let noDuplicateData = PutFlags(rawValue: UInt32(MDB_NODUPDATA))
    /// The key sorts after every existing key: LMDB skips the search and fills pages fully.
    public static let append = PutFlags(rawValue: UInt32(MDB_APPEND))
    /// `append` for a duplicate-sorted database's values.
    public static let appendDuplicate = PutFlags(rawValue: UInt32(MDB_APPENDDUP))
}

extension WriteTransaction {
    public func put(_ db: Database, key: some ContiguousBytes, value: some ContiguousBytes, flags: PutFlags = []) throws {
        let rc = AgoraStore.withValue(key) { key in
            AgoraStore.withValue(value) { value in mdb_put(raw.pointer, db.handle, &key, &value, flags.rawValue) }
        }
        try raw.check(rc, "put into \(db.name)")
    }

    /// Adds one key/value pair to a duplicate-sorted database; false (and no change) when
    /// that exact pair is already there.
    @discardableResult
    public func insert(_ db: Database, key: some ContiguousBytes, value: some ContiguousBytes) throws -> Bool {
        let rc = AgoraStore.withValue(key) { key in
            AgoraStore.withValue(value) { value in mdb_put(raw.pointer, db.handle, &key, &value, UInt32(MDB_NODUPDATA)) }
        }
        if rc == MDB_KEYEXIST { return false }
        try raw.check(rc, "insert into \(db.name)")
        return true
    }

    /// Removes the key (every duplicate of it); false when it was absent.
    @discardableResult
    public func delete(_ db: Database, key: some ContiguousBytes) throws -> Bool {
        let rc = AgoraStore.withValue(key) { key in mdb_del(raw.pointer, db.handle, &key, nil) }
        if rc == MDB_NOTFOUND { return false }
        try raw.check(rc, "delete from \(db.name)")
        return true
    }

    /// Removes one key/value pair of a duplicate-sorted database; false when it was absent.
    @discardableResult
    public func delete(_ db: Database, key: some ContiguousBytes, value: some ContiguousBytes) throws -> Bool {
        let rc = AgoraStore.withValue(key) { key in
            AgoraStore.withValue(value) { value in mdb_del(raw.pointer, db.handle, &key, &value) }
        }
        if rc == MDB_NOTFOUND { return false }
        try raw.check(rc, "delete from \(db.name)")
        return true
    }

    /// Empties the database, keeping it open.
    public func clear(_ db: Database) throws {
        try raw.check(mdb_drop(raw.pointer, db.handle, 0), "clear \(db.name)")
    }

    /// Deletes a named database and everything in it; false when the store has none of that
    /// name. Layout steps call this for databases a newer layout no longer has.
    @discardableResult
    public func dropDatabase(_ spec: DatabaseSpec) throws -> Bool {
        guard let db = try openDatabase(spec) else { return false }
        try raw.check(mdb_drop(raw.pointer, db.handle, 1), "drop \(spec.name)")
        return true
    }

    /// Opens a named database, creating it when absent; layout steps call this.
    public func createDatabase(_ spec: DatabaseSpec) throws -> Database {
        var handle: MDB_dbi = 0
        let flags = spec.flags.rawValue | UInt32(MDB_CREATE)
        try raw.check(mdb_dbi_open(raw.pointer, spec.name, flags, &handle), "create database \(spec.name)")
        return Database(spec: spec, handle: handle)
    }
}

extension ReadableTransaction {
    /// Opens an existing named database; nil when the store has no database of that name.
    public func openDatabase(_ spec: DatabaseSpec) throws -> Database? {
        var handle: MDB_dbi = 0
        let rc = mdb_dbi_open(raw.pointer, spec.name, spec.flags.rawValue, &handle)
        if rc == MDB_NOTFOUND { return nil }
        try raw.check(rc, "open database \(spec.name)")
        return Database(spec: spec, handle: handle)
    }
}
