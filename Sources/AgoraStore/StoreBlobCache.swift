import AgoraCore
import Crypto
import Foundation
import Synchronization

/// Who keeps an archive in the cache: a node's own releases (`published`) or one install
/// folder (its lockfile's archives). An archive with any holder is never evicted.
public struct BlobPinHolder: Hashable, Sendable {
    public let bytes: [UInt8]
    public let label: String

    public static let published = BlobPinHolder(bytes: [UInt8](repeating: 0, count: 16), label: "published")

    /// One holder per folder: installing into it again replaces the folder's pins.
    public static func installFolder(_ url: URL) -> BlobPinHolder {
        let path = url.standardizedFileURL.path
        return BlobPinHolder(bytes: Array(SHA256.hash(data: Array("agora-install:\(path)".utf8)).prefix(16)), label: path)
    }
}

/// What the archive cache holds (sizes are the archives' own, before compression).
public struct ArchiveCacheUsage: Sendable, Equatable, Codable {
    public var archives = 0
    public var bytes: UInt64 = 0
    public var pinnedArchives = 0
    public var pinnedBytes: UInt64 = 0

    public init() {}

    enum CodingKeys: String, CodingKey {
        case archives, bytes, pinnedArchives = "pinned_archives", pinnedBytes = "pinned_bytes"
    }
}

/// Uses noted by readers (serving, installing), kept in memory and written in one transaction
/// by `flushBlobUses`, so a read never costs a write. Bounded: past `capacity` digests, uses
/// of further ones are dropped until the next flush (their last use then looks older).
final class BlobUseLog: Sendable {
    static let capacity = 16_384
    private let pending = Mutex<[BlobDigest: UInt64]>([:])
    private let last = Mutex<UInt64>(0)

    /// Milliseconds since 1970, strictly increasing within the process, so uses in one
    /// process are totally ordered (two in one millisecond, or a clock stepped back, would
    /// otherwise tie or invert).
    func stamp() -> UInt64 {
        let now = UInt64(max(0, Date().timeIntervalSince1970 * 1000))
        return last.withLock { last in
            last = max(now, last + 1)
            return last
        }
    }

    func note(_ digest: BlobDigest) {
        let millis = stamp()
        pending.withLock { uses in
            if uses[digest] != nil || uses.count < Self.capacity { uses[digest] = millis }
        }
    }

    func take() -> [BlobDigest: UInt64] {
        pending.withLock { uses in
            defer { uses = [:] }
            return uses
        }
    }
}

extension Store {
    /// Marks `digest` as used now (in memory until `flushBlobUses`).
    public func noteBlobUse(_ digest: BlobDigest) {
        blobUseLog.note(digest)
    }

    /// Writes the noted uses of blobs still present, in one transaction.
    public func flushBlobUses() throws {
        let uses = blobUseLog.take()
        guard !uses.isEmpty else { return }
        try environment.write { txn in
            for (digest, millis) in uses.sorted(by: { $0.key.bytes.lexicographicallyPrecedes($1.key.bytes) })
            where try txn.contains(databases.blobs, key: digest.bytes) {
                let stored = try txn.get(databases.blobUses, key: digest.bytes).flatMap { BigEndian.uint64($0) } ?? 0
                if millis > stored { try txn.put(databases.blobUses, key: digest.bytes, value: BigEndian.bytes(millis)) }
            }
        }
    }

    /// Pins `digests` for `holder` (present or not: an install pins what it is about to fetch,
    /// so the cache cannot evict it in between); `replacing` drops the holder's other pins.
    public func setBlobPins(_ digests: [BlobDigest], holder: BlobPinHolder, replacing: Bool) throws {
        try environment.write { txn in
            var old: [[UInt8]] = []
            if replacing {
                try txn.forEach(databases.blobPins, prefix: holder.bytes) { entry in
                    old.append(Array(entry.key))
                    return true
                }
            }
            for key in old { _ = try txn.delete(databases.blobPins, key: key) }
            for digest in digests { try pin(digest, holder: holder, in: txn) }
        }
    }

    func pin(_ digest: BlobDigest, holder: BlobPinHolder, in txn: WriteTransaction) throws {
        try txn.put(databases.blobPins, key: holder.bytes + digest.bytes, value: Array(holder.label.utf8.prefix(4096)))
    }

    /// Every pinned digest (held or not), each with its holders' labels.
    public func blobPins() throws -> [BlobDigest: [String]] {
        try read { txn in try blobPins(in: txn) }
    }

    func blobPins(in txn: some ReadableTransaction) throws -> [BlobDigest: [String]] {
        var pins: [BlobDigest: [String]] = [:]
        try txn.forEach(databases.blobPins) { entry in
            guard entry.key.count == 48, let digest = BlobDigest(bytes: Array(entry.key[16...])) else {
                throw StoreError.corrupt("blob pin key of \(entry.key.count) bytes")
            }
            pins[digest, default: []].append(String(decoding: entry.value, as: UTF8.self))
            return true
        }
        return pins
    }

    /// What the cache holds now: every stored blob, and those pinned.
    public func archiveCacheUsage() throws -> ArchiveCacheUsage {
        try read { txn in
            let pins = try blobPins(in: txn)
            var usage = ArchiveCacheUsage()
            for entry in try cacheEntries(in: txn) {
                usage.archives += 1
                usage.bytes += UInt64(entry.size)
                if pins[entry.digest] != nil {
                    usage.pinnedArchives += 1
                    usage.pinnedBytes += UInt64(entry.size)
                }
            }
            return usage
        }
    }

    struct CacheEntry {
        let digest: BlobDigest
        let size: Int
        let lastUse: UInt64
    }

    private func cacheEntries(in txn: some ReadableTransaction) throws -> [CacheEntry] {
        var entries: [CacheEntry] = []
        try txn.forEach(databases.blobs) { entry in
            guard let digest = BlobDigest(bytes: Array(entry.key)), let header = try blobHeader(digest, txn) else {
                throw StoreError.corrupt("blob key of \(entry.key.count) bytes")
            }
            let lastUse = try txn.get(databases.blobUses, key: digest.bytes).flatMap { BigEndian.uint64($0) } ?? 0
            entries.append(CacheEntry(digest: digest, size: header.size, lastUse: lastUse))
            return true
        }
        return entries
    }

    static let mirrorKey = Array("cache/mirror".utf8)

    /// Records whether the daemon serving this store keeps every archive (a mirror), so an
    /// `install` run while no daemon is up does not evict a mirror's archives to a cache budget.
    public func recordServedAsMirror(_ mirror: Bool) throws {
        try environment.write { txn in try txn.put(databases.meta, key: Self.mirrorKey, value: [mirror ? 1 : 0]) }
    }

    /// Whether the last daemon on this store was a mirror (false when none recorded it).
    public func servedAsMirror() throws -> Bool {
        try read { txn in try txn.get(databases.meta, key: Self.mirrorKey) } == [1]
    }

    /// Deletes the least recently used unpinned blobs until the blobs' total size is at most
    /// `budget` (or nothing unpinned is left), in one write transaction, so a kill leaves
    /// either all of them or none (header, chunks and use record of each go together). A
    /// blob pinned or used since the plan was read is kept. Returns the evicted digests,
    /// oldest first.
    @discardableResult
    public func evictBlobs(toFit budget: UInt64) throws -> [BlobDigest] {
        try flushBlobUses()
        try recoverPendingBlobs()
        try releasePinsOfRemovedFolders()
        let plan = try read { txn -> [CacheEntry] in
            let pins = Set(try blobPins(in: txn).keys)
            let entries = try cacheEntries(in: txn)
            var total = entries.reduce(UInt64(0)) { $0 + UInt64($1.size) }
            guard total > budget else { return [] }
            var plan: [CacheEntry] = []
            let candidates = entries.filter { !pins.contains($0.digest) }.sorted {
                $0.lastUse != $1.lastUse ? $0.lastUse < $1.lastUse : $0.digest.bytes.lexicographicallyPrecedes($1.digest.bytes)
            }
            for candidate in candidates where total > budget {
                plan.append(candidate)
                total -= UInt64(candidate.size)
            }
            return plan
        }
        guard !plan.isEmpty else { return [] }
        return try environment.write { txn in
            let pinnedNow = try blobPins(in: txn)
            var evicted: [BlobDigest] = []
            for entry in plan where pinnedNow[entry.digest] == nil {
                let lastUse = try txn.get(databases.blobUses, key: entry.digest.bytes).flatMap { BigEndian.uint64($0) } ?? 0
                guard lastUse <= entry.lastUse, try deleteBlob(entry.digest, in: txn) else { continue }
                evicted.append(entry.digest)
            }
            return evicted
        }
    }

    /// Drops the pins of install folders that no longer exist: a project deleted by hand never
    /// installs again, so otherwise its archives would stay pinned for ever. The folder is
    /// looked for inside the write transaction, which serialises with `setBlobPins`; an install
    /// creates its folder before it pins, so a folder being installed into is never taken for
    /// gone. Pins whose label is not an absolute path hashing to their holder key (a damaged or
    /// foreign record) are left alone. Returns the released folders.
    @discardableResult
    public func releasePinsOfRemovedFolders() throws -> [String] {
        let gone = try read { txn in try pinHolders(in: txn).filter { Self.isRemovedFolder($0.value, holder: $0.key) } }
        guard !gone.isEmpty else { return [] }
        return try environment.write { txn in
            var released: [String] = []
            for (holder, path) in gone.sorted(by: { $0.value < $1.value }) where Self.isRemovedFolder(path, holder: holder) {
                var keys: [[UInt8]] = []
                try txn.forEach(databases.blobPins, prefix: holder) { entry in
                    keys.append(Array(entry.key))
                    return true
                }
                for key in keys { _ = try txn.delete(databases.blobPins, key: key) }
                if !keys.isEmpty { released.append(path) }
            }
            return released
        }
    }

    /// Each pin holder's key and label.
    private func pinHolders(in txn: some ReadableTransaction) throws -> [[UInt8]: String] {
        var holders: [[UInt8]: String] = [:]
        try txn.forEach(databases.blobPins) { entry in
            guard entry.key.count == 48 else { throw StoreError.corrupt("blob pin key of \(entry.key.count) bytes") }
            holders[Array(entry.key.prefix(16))] = String(decoding: entry.value, as: UTF8.self)
            return true
        }
        return holders
    }

    private static func isRemovedFolder(_ path: String, holder: [UInt8]) -> Bool {
        path.hasPrefix("/") && BlobPinHolder.installFolder(URL(fileURLWithPath: path)).bytes == holder
            && !FileManager.default.fileExists(atPath: path)
    }

    /// Removes a blob's header, chunks and use record; false when it was not there.
    func deleteBlob(_ digest: BlobDigest, in txn: WriteTransaction) throws -> Bool {
        guard try txn.delete(databases.blobs, key: digest.bytes) else { return false }
        try deleteChunks(of: digest, in: txn)
        _ = try txn.delete(databases.blobUses, key: digest.bytes)
        return true
    }

    func deleteChunks(of digest: BlobDigest, in txn: WriteTransaction) throws {
        var keys: [[UInt8]] = []
        try txn.forEach(databases.blobChunks, prefix: digest.bytes) { entry in
            keys.append(Array(entry.key))
            return true
        }
        for key in keys { _ = try txn.delete(databases.blobChunks, key: key) }
    }
}
