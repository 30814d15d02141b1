import CLMDB
import Foundation

/// A failed LMDB call: the operation that failed and LMDB's own code, so a report can be
/// traced back to the exact call without a debugger.
public struct LMDBError: Error, Equatable, Sendable, CustomStringConvertible {
    public let code: Int32
    public let operation: String

    public init(code: Int32, operation: String) {
        self.code = code
        self.operation = operation
    }

    public var description: String {
        "LMDB \(operation) failed: \(String(cString: mdb_strerror(code))) (code \(code))"
    }

    public var isMapFull: Bool { code == MDB_MAP_FULL }
    /// One transaction dirtied more pages than LMDB keeps track of (~131k); nothing was written.
    public var isTransactionFull: Bool { code == MDB_TXN_FULL }
    /// The file system refused to grow the data file; LMDB aborts the transaction, so
    /// everything committed before stays.
    public var isDiskFull: Bool { code == ENOSPC || code == EDQUOT || code == EFBIG }
}

/// Errors a store user acts on; LMDB details stay inside `.lmdb`.
public enum StoreError: Error, Equatable, Sendable, CustomStringConvertible {
    case lmdb(LMDBError)
    /// The store's directory or files cannot be opened: permissions, a read-only file system,
    /// something else in the way, or files that are not an LMDB store.
    case unopenable(path: String, reason: String)
    /// `data.mdb` is shorter than its meta page says; opening it would fault on the missing pages.
    case truncated(path: String, size: UInt64, expected: UInt64?)
    /// The map reached the configured cap; the failed transaction was rolled back.
    case storeFull(mapSize: Int, cap: Int)
    /// The disk (or quota) refused a write; the failed transaction was rolled back.
    case diskFull(path: String, operation: String)
    case layoutTooNew(store: UInt32, binary: UInt32)
    case migrationsIncomplete(reach: UInt32, needed: UInt32)
    case migrationOutOfOrder(expected: UInt32, found: UInt32)
    case blobTooLarge(size: Int, limit: Int)
    case blobDigestMismatch(expected: String, actual: String)
    case corrupt(String)
    case noViewMaintainer
    /// Another process has the store open, so it cannot be compacted now.
    case busy(path: String, pid: Int)

    public var description: String {
        switch self {
        case .lmdb(let error):
            error.description
        case .unopenable(let path, let reason):
            "cannot open the store at \(path): \(reason)"
        case .busy(let path, let pid):
            "the store at \(path) is open in another process (pid \(pid)); stop it and retry"
        case .truncated(let path, let size, let expected):
            "\(path) is truncated: it is \(size) bytes"
                + (expected.map { " but its meta page says the data reaches \($0) bytes" } ?? "")
                + "; restore the store from a backup (or remove it and re-sync)"
        case .storeFull(let mapSize, let cap):
            "store is full: the map is \(mapSize) bytes and may not grow past its cap of \(cap) bytes; nothing of the failed write was kept"
        case .diskFull(let path, let operation):
            "disk full while writing \(path) (\(operation)); nothing of the failed write was kept, free space and retry"
        case .layoutTooNew(let store, let binary):
            "store layout version \(store) is newer than this binary understands (\(binary)); upgrade agora to open it"
        case .migrationsIncomplete(let reach, let needed):
            "the registered migrations reach layout \(reach) but this store code needs layout \(needed)"
        case .migrationOutOfOrder(let expected, let found):
            "migration steps must be numbered consecutively: expected step \(expected), found \(found)"
        case .blobTooLarge(let size, let limit):
            "blob of \(size) bytes exceeds the \(limit)-byte limit"
        case .blobDigestMismatch(let expected, let actual):
            "blob corrupted: expected SHA-256 \(expected), stored bytes hash to \(actual)"
        case .corrupt(let reason):
            "store corrupt: \(reason)"
        case .noViewMaintainer:
            "this store was opened without a view maintainer, so its views cannot be built or checked"
        }
    }
}
