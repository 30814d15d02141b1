import CLMDB
import Foundation

extension Environment {
    /// Writes a copy of the environment as `data.mdb` in the existing, empty directory
    /// `directory`, from one read snapshot, with every named database re-inserted in key order
    /// with `MDB_APPEND`.
    ///
    /// LMDB's compacting copy (`MDB_CP_COMPACT`) drops free pages but copies the others as they
    /// are, and pages that filled in random key order (search postings, names, package records)
    /// split half-full and stay about two-thirds full. Appending in key order fills each leaf
    /// page before the next is started, so the copy is about a third smaller.
    func copyRepacked(to directory: String) throws {
        let target = try Environment(path: directory, configuration: EnvironmentConfiguration(
            initialMapSize: max(mapSize, configuration.initialMapSize), maxMapSize: max(configuration.maxMapSize, mapSize),
            maxDatabases: configuration.maxDatabases, maxReaders: configuration.maxReaders))
        try read { source in
            let names = try Self.databaseNames(source.raw)
            try target.write { destination in
                for name in names { try Self.copy(name, from: source.raw, to: destination.raw) }
            }
        }
    }

    /// The names of the named databases: the keys of the unnamed one.
    private static func databaseNames(_ txn: TransactionHandle) throws -> [String] {
        var main: MDB_dbi = 0
        try txn.check(mdb_dbi_open(txn.pointer, nil, 0, &main), "open the main database")
        var cursor: OpaquePointer?
        try txn.check(mdb_cursor_open(txn.pointer, main, &cursor), "open a cursor on the main database")
        defer { mdb_cursor_close(cursor) }
        var names: [String] = []
        var key = MDB_val()
        var value = MDB_val()
        var rc = mdb_cursor_get(cursor, &key, &value, MDB_FIRST)
        while rc == 0 {
            let bytes = UnsafeRawBufferPointer(start: key.mv_data, count: key.mv_size)
            guard let name = String(validating: bytes, as: UTF8.self), !name.contains("\0") else {
                throw StoreError.corrupt("the main database holds a key that names no database")
            }
            names.append(name)
            rc = mdb_cursor_get(cursor, &key, &value, MDB_NEXT)
        }
        guard rc == MDB_NOTFOUND else { throw LMDBError(code: rc, operation: "list the databases") }
        return names
    }

    /// Copies one named database, keeping its flags, in key (and value) order.
    private static func copy(_ name: String, from source: TransactionHandle, to destination: TransactionHandle) throws {
        var input: MDB_dbi = 0
        try source.check(mdb_dbi_open(source.pointer, name, 0, &input), "open \(name)")
        var flags: UInt32 = 0
        try source.check(mdb_dbi_flags(source.pointer, input, &flags), "read the flags of \(name)")
        var output: MDB_dbi = 0
        try destination.check(mdb_dbi_open(destination.pointer, name, flags | UInt32(MDB_CREATE), &output), "create \(name) in the copy")
        var reader: OpaquePointer?
        try source.check(mdb_cursor_open(source.pointer, input, &reader), "open a cursor on \(name)")
        defer { mdb_cursor_close(reader) }
        var writer: OpaquePointer?
        try destination.check(mdb_cursor_open(destination.pointer, output, &writer), "open a cursor on \(name) in the copy")
        defer { mdb_cursor_close(writer) }
        var key = MDB_val()
        var value = MDB_val()
        // NEXT_NODUP then the key's duplicates: a new key appends, its further values append as duplicates.
        var rc = mdb_cursor_get(reader, &key, &value, MDB_FIRST)
        let duplicates = flags & UInt32(MDB_DUPSORT) != 0
        while rc == 0 {
            try destination.check(mdb_cursor_put(writer, &key, &value, UInt32(MDB_APPEND)), "append to \(name) in the copy")
            if duplicates {
                rc = mdb_cursor_get(reader, &key, &value, MDB_NEXT_DUP)
                while rc == 0 {
                    try destination.check(mdb_cursor_put(writer, &key, &value, UInt32(MDB_APPENDDUP)), "append to \(name) in the copy")
                    rc = mdb_cursor_get(reader, &key, &value, MDB_NEXT_DUP)
                }
                guard rc == MDB_NOTFOUND else { break }
                rc = mdb_cursor_get(reader, &key, &value, MDB_NEXT_NODUP)
            } else {
                rc = mdb_cursor_get(reader, &key, &value, MDB_NEXT)
            }
        }
        guard rc == MDB_NOTFOUND else { throw LMDBError(code: rc, operation: "read \(name)") }
    }
}
