import AgoraCore
import CZstd
import Crypto
import Foundation

/// Blobs too large to hold in memory (a downloaded archive), written from a reader in
/// batches of chunks, each batch its own transaction, so neither the process nor LMDB's dirty
/// page list ever holds more than one batch. Order, so that a kill at any step recovers:
/// (1) a pending marker (writer pid, size); (2) the chunk batches; (3) the header, the use
/// record and the marker's removal in one transaction. Until (3) nothing reads the blob (every
/// reader starts at the header); chunks whose marker names a dead writer are deleted by
/// `recoverPendingBlobs`, so no chunk is orphaned and no header dangles.
extension Store {
    /// Where a streamed write stands, for tests that stop it at each step.
    public enum BlobWriteStep: String, Sendable, CaseIterable {
        case pendingWritten = "blob.pending-written"
        case batchWritten = "blob.batch-written"
        case committed = "blob.committed"
    }

    /// Stores the `size`-byte blob `read(offset, count)` yields piece by piece, hashing as it
    /// goes; refused (and its chunks removed) unless it hashes to `digest`. At most
    /// `batchBytes` of raw chunks per transaction. `onStep` runs after each step's commit.
    public func putBlob(
        digest: BlobDigest, size: Int, batchBytes: Int = 8 << 20, pin: BlobPinHolder? = nil,
        onStep: (BlobWriteStep) throws -> Void = { _ in }, read: (_ offset: Int, _ count: Int) throws -> [UInt8]
    ) throws {
        guard size >= 0, size <= limits.maxBlobSize else { throw StoreError.blobTooLarge(size: max(0, size), limit: limits.maxBlobSize) }
        if try hasBlob(digest) {
            if let pin { try environment.write { txn in try self.pin(digest, holder: pin, in: txn) } }
            noteBlobUse(digest)
            return
        }
        var marker = BigEndian.bytes(UInt32(truncatingIfNeeded: getpid()))
        BigEndian.append(UInt64(size), to: &marker)
        try environment.write { txn in try txn.put(databases.blobPending, key: digest.bytes, value: marker) }
        try onStep(.pendingWritten)
        guard let context = ZstdChunk.makeContext() else { throw StoreError.corrupt("zstd could not allocate a context") }
        defer { ZSTD_freeCCtx(context) }
        let chunkSize = limits.blobChunkSize
        let perBatch = max(1, batchBytes / chunkSize)
        var hasher = SHA256()
        var index = 0
        var offset = 0
        while offset < size {
            var batch: [[UInt8]] = []
            while batch.count < perBatch, offset < size {
                let count = min(chunkSize, size - offset)
                let piece = try read(offset, count)
                guard piece.count == count else {
                    throw StoreError.corrupt("blob \(digest): the reader gave \(piece.count) bytes at \(offset), expected \(count)")
                }
                hasher.update(data: piece)
                batch.append(piece.withUnsafeBytes { raw in
                    ZstdChunk.compress(raw, context: context).map { [Self.zstdChunk] + $0 } ?? [Self.rawChunk] + piece
                })
                offset += count
            }
            let first = index
            try environment.write { txn in
                var key = digest.bytes + [0, 0, 0, 0]
                for (step, chunk) in batch.enumerated() {
                    key.replaceSubrange(32..<36, with: BigEndian.bytes(UInt32(first + step)))
                    try txn.put(databases.blobChunks, key: key, value: chunk)
                }
            }
            index += batch.count
            try onStep(.batchWritten)
        }
        let actual = Array(hasher.finalize())
        guard actual == digest.bytes else {
            try environment.write { txn in
                try deleteChunks(of: digest, in: txn)
                _ = try txn.delete(databases.blobPending, key: digest.bytes)
            }
            throw StoreError.blobDigestMismatch(expected: digest.hex, actual: Hex.encode(actual))
        }
        try environment.write { txn in
            if let pin { try self.pin(digest, holder: pin, in: txn) }
            try txn.put(databases.blobUses, key: digest.bytes, value: BigEndian.bytes(blobUseLog.stamp()))
            _ = try txn.delete(databases.blobPending, key: digest.bytes)
            guard try !txn.contains(databases.blobs, key: digest.bytes) else { return }
            var header: [UInt8] = [Self.blobFormat]
            BigEndian.append(UInt64(size), to: &header)
            BigEndian.append(UInt32(chunkSize), to: &header)
            try txn.put(databases.blobs, key: digest.bytes, value: header)
        }
        try onStep(.committed)
    }

    /// Deletes the chunks and markers of streamed writes whose writer is gone (`isAlive`
    /// false for its pid; a blob whose header exists keeps its chunks). Returns how many.
    @discardableResult
    public func recoverPendingBlobs(isAlive: (Int32) -> Bool = Store.processIsAlive) throws -> Int {
        let stale = try read { txn in
            var stale: [BlobDigest] = []
            try txn.forEach(databases.blobPending) { entry in
                guard let digest = BlobDigest(bytes: Array(entry.key)) else { throw StoreError.corrupt("pending blob key of \(entry.key.count) bytes") }
                let pid = BigEndian.uint32(entry.value).map { Int32(truncatingIfNeeded: $0) } ?? 0
                if pid <= 0 || !isAlive(pid) { stale.append(digest) }
                return true
            }
            return stale
        }
        guard !stale.isEmpty else { return 0 }
        try environment.write { txn in
            for digest in stale {
                if try !txn.contains(databases.blobs, key: digest.bytes) { try deleteChunks(of: digest, in: txn) }
                _ = try txn.delete(databases.blobPending, key: digest.bytes)
            }
        }
        return stale.count
    }

    /// Whether a process with this pid exists (EPERM: it does, under another user).
    public static func processIsAlive(_ pid: Int32) -> Bool {
        kill(pid, 0) == 0 || errno == EPERM
    }
}
