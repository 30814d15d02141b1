import CLMDB
import Foundation

/// Why a store's files cannot be used, in words a person can act on, and the one check LMDB
/// does not make itself: that `data.mdb` really holds the pages its meta page claims.
enum StoreFiles {
    /// LMDB maps `data.mdb` and trusts its meta page; a page beyond the end of a truncated file
    /// is a SIGBUS on first touch. Both meta pages are read with `pread` and validated by
    /// `mdb_env_open`, so comparing the file's size with the newest meta's last page before any
    /// transaction begins catches the truncation while it is still an error.
    static func checkDataFileCoversMap(_ env: OpaquePointer, path: String) throws {
        var info = MDB_envinfo()
        var pages = MDB_stat()
        guard mdb_env_info(env, &info) == 0, mdb_env_stat(env, &pages) == 0 else {
            throw StoreError.unopenable(path: path, reason: "cannot read the meta page of data.mdb")
        }
        let dataFile = (path as NSString).appendingPathComponent("data.mdb")
        var fileStatus = stat()
        guard stat(dataFile, &fileStatus) == 0 else {
            throw StoreError.unopenable(path: dataFile, reason: String(cString: strerror(errno)))
        }
        let (pageCount, pagesOverflow) = UInt64(info.me_last_pgno).addingReportingOverflow(1)
        let (needed, sizeOverflow) = pageCount.multipliedReportingOverflow(by: UInt64(pages.ms_psize))
        let actual = UInt64(max(0, fileStatus.st_size))
        guard !pagesOverflow, !sizeOverflow, actual >= needed else {
            throw StoreError.truncated(path: dataFile, size: actual, expected: pagesOverflow || sizeOverflow ? nil : needed)
        }
    }

    /// LMDB takes an empty `data.mdb` for a new store and initialises it, so a store truncated
    /// to nothing would silently come back empty. Only a missing file means "new". A process
    /// creating the store this very moment writes the meta pages right after creating the file,
    /// so an empty file gets a moment to fill before it is called truncated.
    static func refuseEmptyDataFile(in path: String) throws {
        let dataFile = (path as NSString).appendingPathComponent("data.mdb")
        for attempt in 0..<10 {
            var fileStatus = stat()
            guard lstat(dataFile, &fileStatus) == 0, fileStatus.st_mode & S_IFMT == S_IFREG, fileStatus.st_size == 0 else {
                return
            }
            if attempt < 9 { usleep(20_000) }
        }
        throw StoreError.truncated(path: dataFile, size: 0, expected: nil)
    }

    /// `mdb_env_open`'s failure: an errno from the file system, or LMDB's verdict on the files.
    static func reason(forLMDB code: Int32, in path: String) -> String {
        switch code {
        case MDB_INVALID: "data.mdb is not an LMDB data file (damaged or overwritten)"
        case MDB_VERSION_MISMATCH: "data.mdb or lock.mdb was written by an incompatible LMDB version"
        case MDB_CORRUPTED: "data.mdb is damaged"
        case EACCES, EPERM: "\(String(cString: strerror(code))) (the store belongs to another user or is read-only)"
        default: String(cString: mdb_strerror(code))
        }
    }
}
