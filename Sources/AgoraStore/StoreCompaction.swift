import CLMDB
import Foundation

/// What `Store.compact` did, in bytes of `data.mdb`.
public struct CompactionReport: Sendable, Equatable {
    public let bytesBefore: UInt64
    public let bytesAfter: UInt64
}

extension Store {
    /// Rewrites the store at `directory` without its free pages and with its leaf pages full
    /// (`Environment.copyRepacked`): LMDB never shrinks its file, so after a large load or
    /// rebuild most of `data.mdb` can be pages nobody uses.
    ///
    /// The store must not be open, in this process or another: a process holding the old
    /// file mapped would go on writing to it after the swap. LMDB's lock file says whether
    /// another process has it open (every opener holds a shared lock on its first byte), and
    /// that is checked before copying and again just before the swap. The compacted copy is
    /// written and synced beside the store (`compact.tmp/`), then renamed over `data.mdb` in
    /// one atomic step, so a kill at any point leaves either the old store or the new one and
    /// at worst a leftover `compact.tmp/`, removed by the next compaction. Callers that can
    /// write (the registry) hold their write lock around this.
    public static func compact(directory: URL, configuration: EnvironmentConfiguration = EnvironmentConfiguration()) throws -> CompactionReport {
        let data = directory.appendingPathComponent("data.mdb")
        let scratch = directory.appendingPathComponent("compact.tmp")
        guard FileManager.default.fileExists(atPath: data.path) else {
            throw StoreError.unopenable(path: directory.path, reason: "there is no store here")
        }
        try refuseIfOpenElsewhere(directory)
        let before = try fileSize(data)
        try? FileManager.default.removeItem(at: scratch)
        do {
            try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        } catch {
            throw StoreError.unopenable(path: scratch.path, reason: FileErrorReason.of(error))
        }
        do {
            let environment = try Environment(path: directory.path, configuration: configuration)
            try environment.copyRepacked(to: scratch.path)
        }
        let compacted = scratch.appendingPathComponent("data.mdb")
        try syncFile(compacted)
        try refuseIfOpenElsewhere(directory)
        guard rename(compacted.path, data.path) == 0 else {
            throw StoreError.unopenable(path: data.path, reason: "cannot replace it with the compacted copy: \(String(cString: strerror(errno)))")
        }
        try syncFile(directory)
        try? FileManager.default.removeItem(at: scratch)
        return CompactionReport(bytesBefore: before, bytesAfter: try fileSize(data))
    }

    /// Throws `.busy` when another process holds LMDB's lock on `lock.mdb` (it has the
    /// environment open). `F_GETLK` only asks; it takes no lock, so this process's own
    /// locks are untouched.
    static func refuseIfOpenElsewhere(_ directory: URL) throws {
        let lockPath = directory.appendingPathComponent("lock.mdb").path
        let descriptor = open(lockPath, O_RDWR | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        defer { close(descriptor) }
        var probe = flock()
        probe.l_type = Int16(F_WRLCK)
        probe.l_whence = Int16(SEEK_SET)
        probe.l_start = 0
        probe.l_len = 1
        guard fcntl(descriptor, F_GETLK, &probe) == 0 else {
            throw StoreError.unopenable(path: lockPath, reason: "cannot query its lock: \(String(cString: strerror(errno)))")
        }
        if probe.l_type != Int16(F_UNLCK) { throw StoreError.busy(path: directory.path, pid: Int(probe.l_pid)) }
    }

    private static func fileSize(_ url: URL) throws -> UInt64 {
        do {
            return (try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? NSNumber)?.uint64Value ?? 0
        } catch {
            throw StoreError.unopenable(path: url.path, reason: FileErrorReason.of(error))
        }
    }

    /// fsync of a file or directory, so the rename is durable only after the copy is.
    private static func syncFile(_ url: URL) throws {
        let descriptor = open(url.path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0, fsync(descriptor) == 0 else {
            let reason = String(cString: strerror(errno))
            if descriptor >= 0 { close(descriptor) }
            throw StoreError.unopenable(path: url.path, reason: "cannot sync: \(reason)")
        }
        close(descriptor)
    }
}
