import CLMDB
import Foundation

/// Sizes of an LMDB environment. The map starts small and doubles on demand up to the cap,
/// so a fresh store costs little address space yet never fails for want of a resize.
public struct EnvironmentConfiguration: Sendable {
    public var initialMapSize: Int
    public var maxMapSize: Int
    public var maxDatabases: UInt32
    public var maxReaders: UInt32

    public init(initialMapSize: Int = 64 << 20, maxMapSize: Int = 1 << 40, maxDatabases: UInt32 = 32, maxReaders: UInt32 = 126) {
        self.initialMapSize = initialMapSize
        self.maxMapSize = max(maxMapSize, initialMapSize)
        self.maxDatabases = maxDatabases
        self.maxReaders = maxReaders
    }
}

/// One LMDB environment (a directory holding `data.mdb` and `lock.mdb`).
///
/// Opened with MDB_NOTLS, so a read transaction is not tied to the thread that began it and
/// reads may run on any thread, in parallel, without blocking the writer. Writers are
/// serialised by LMDB's lock across processes and by a mutex within this one. LMDB forbids
/// opening the same environment twice in one process: share one `Environment`.
public final class Environment: @unchecked Sendable {
    public let path: String
    public let configuration: EnvironmentConfiguration
    private let env: OpaquePointer
    private let resizeLock = ResizeLock()
    private let writers = WriterMutex()

    public init(path: String, configuration: EnvironmentConfiguration = EnvironmentConfiguration()) throws {
        self.path = path
        self.configuration = configuration
        self.env = try Self.open(path: path, configuration: configuration)
    }

    /// Creates, configures and opens the LMDB handle, closing it again on any failure, so a
    /// handle reaches `self` only once it is fully open and `deinit` is its only closer.
    private static func open(path: String, configuration: EnvironmentConfiguration) throws -> OpaquePointer {
        do {
            try FileManager.default.createDirectory(
                atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw StoreError.unopenable(path: path, reason: FileErrorReason.of(error))
        }
        try StoreFiles.refuseEmptyDataFile(in: path)
        var created: OpaquePointer?
        try check(mdb_env_create(&created), "create environment", path: path)
        guard let env = created else { throw StoreError.unopenable(path: path, reason: "LMDB returned no environment") }
        do {
            try check(mdb_env_set_maxdbs(env, MDB_dbi(configuration.maxDatabases)), "set max databases", path: path)
            try check(mdb_env_set_maxreaders(env, configuration.maxReaders), "set max readers", path: path)
            try check(mdb_env_set_mapsize(env, configuration.initialMapSize), "set map size", path: path)
            let rc = mdb_env_open(env, path, UInt32(MDB_NOTLS), 0o600)
            guard rc == 0 else { throw StoreError.unopenable(path: path, reason: StoreFiles.reason(forLMDB: rc, in: path)) }
            try StoreFiles.checkDataFileCoversMap(env, path: path)
            // Reader slots of killed processes would pin old pages forever; free them now.
            var dead: Int32 = 0
            try check(mdb_reader_check(env, &dead), "clear stale readers", path: path)
        } catch {
            mdb_env_close(env)
            throw error
        }
        return env
    }

    deinit {
        mdb_env_close(env)
    }

    /// Writes a compacted copy of the environment (free pages dropped, pages refilled) as
    /// `data.mdb` in the existing, empty directory `directory`, from one read snapshot.
    func copyCompacted(to directory: String) throws {
        resizeLock.lockShared()
        defer { resizeLock.unlock() }
        try Self.check(mdb_env_copy2(env, directory, UInt32(MDB_CP_COMPACT)), "compacting copy", path: path)
    }

    /// The map size now in effect (another process may have grown it).
    public var mapSize: Int {
        var info = MDB_envinfo()
        mdb_env_info(env, &info)
        return info.me_mapsize
    }

    /// The ID of the newest committed write transaction, from any process sharing the file.
    /// Read from the meta pages without a transaction, so a cache can ask "did anything
    /// change?" for a few nanoseconds; every commit raises it.
    public var lastCommittedTransaction: Int {
        // The meta pages live in the map, which a resize in this process replaces.
        resizeLock.lockShared()
        defer { resizeLock.unlock() }
        var info = MDB_envinfo()
        mdb_env_info(env, &info)
        return info.me_last_txnid
    }

    /// Runs `body` in a read-only snapshot. Never waits for writers.
    public func read<R>(_ body: (ReadTransaction) throws -> R) throws -> R {
        while true {
            resizeLock.lockShared()
            var txn: OpaquePointer?
            let rc = mdb_txn_begin(env, nil, UInt32(MDB_RDONLY), &txn)
            if rc == MDB_MAP_RESIZED {
                resizeLock.unlock()
                try adoptForeignResize()
                continue
            }
            guard rc == 0, let txn else {
                resizeLock.unlock()
                throw Self.error(rc, "begin read transaction", path: path)
            }
            defer {
                // Committing (not aborting) a read transaction keeps database handles it opened.
                mdb_txn_commit(txn)
                resizeLock.unlock()
            }
            return try body(ReadTransaction(raw: TransactionHandle(pointer: txn, writeState: nil)))
        }
    }

    /// Runs `body` in one write transaction and commits it when `body` returns; a throw rolls
    /// everything back. When the map fills, the transaction is rolled back, the map doubled
    /// (up to the cap) and `body` run again from the start, so `body` must only change the
    /// store through `txn`. Do not call from inside another transaction.
    @discardableResult
    public func write<R>(_ body: (WriteTransaction) throws -> R) throws -> R {
        try writers.withLock {
            while true {
                resizeLock.lockShared()
                var txn: OpaquePointer?
                var rc = mdb_txn_begin(env, nil, 0, &txn)
                if rc == MDB_MAP_RESIZED {
                    resizeLock.unlock()
                    try adoptForeignResize()
                    continue
                }
                guard rc == 0, let txn else {
                    resizeLock.unlock()
                    throw Self.error(rc, "begin write transaction", path: path)
                }
                let state = WriteState()
                let result: R
                do {
                    result = try body(WriteTransaction(raw: TransactionHandle(pointer: txn, writeState: state)))
                } catch {
                    mdb_txn_abort(txn)
                    resizeLock.unlock()
                    if state.mapFull {
                        try grow()
                        continue
                    }
                    throw Self.mapped(error, path: path)
                }
                rc = state.mapFull ? MDB_MAP_FULL : mdb_txn_commit(txn)
                if state.mapFull { mdb_txn_abort(txn) }
                resizeLock.unlock()
                if rc == 0 { return result }
                if rc == MDB_MAP_FULL {
                    try grow()
                    continue
                }
                throw Self.error(rc, "commit", path: path)
            }
        }
    }

    /// Doubles the map, up to the cap. Called with no transaction of ours open.
    private func grow() throws {
        resizeLock.lockExclusive()
        defer { resizeLock.unlock() }
        let current = mapSize
        guard current < configuration.maxMapSize else {
            throw StoreError.storeFull(mapSize: current, cap: configuration.maxMapSize)
        }
        let next = current > configuration.maxMapSize / 2 ? configuration.maxMapSize : current * 2
        try Self.check(mdb_env_set_mapsize(env, next), "grow map to \(next) bytes", path: path)
    }

    /// Another process grew the map: adopt its size before beginning transactions again.
    private func adoptForeignResize() throws {
        resizeLock.lockExclusive()
        defer { resizeLock.unlock() }
        try Self.check(mdb_env_set_mapsize(env, 0), "adopt grown map", path: path)
    }

    private static func check(_ rc: Int32, _ operation: String, path: String) throws {
        guard rc == 0 else { throw error(rc, operation, path: path) }
    }

    static func error(_ rc: Int32, _ operation: String, path: String) -> StoreError {
        mapped(LMDBError(code: rc, operation: operation), path: path)
    }

    /// Presents disk-full conditions as such wherever in a transaction they surface.
    static func mapped(_ error: Error, path: String) -> Error {
        guard let lmdb = error as? LMDBError else { return error }
        return mapped(lmdb, path: path)
    }

    static func mapped(_ error: LMDBError, path: String) -> StoreError {
        error.isDiskFull || (error.code == EIO && freeBytes(at: path).map { $0 < minimumFreeBytes } == true)
            ? .diskFull(path: path, operation: error.operation) : .lmdb(error)
    }

    /// LMDB reports a write cut short by a full disk as EIO rather than ENOSPC; with (almost)
    /// no space left on the store's file system, that EIO means the disk is full.
    static let minimumFreeBytes: UInt64 = 1 << 20

    static func freeBytes(at path: String) -> UInt64? {
        var stats = statvfs()
        guard statvfs(path, &stats) == 0 else { return nil }
        return UInt64(stats.f_bavail) * UInt64(stats.f_frsize)
    }
}
