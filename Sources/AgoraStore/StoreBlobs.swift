import AgoraCore
import CZstd
import Crypto
import Foundation

/// Content-addressed blobs, chunked. Header record: format (1 byte), size (u64 BE), chunk
/// size (u32 BE). Chunk record: encoding (0 raw, 1 zstd) then the bytes.
extension Store {
    static let blobFormat: UInt8 = 1
    static let rawChunk: UInt8 = 0
    static let zstdChunk: UInt8 = 1

    /// Stores `bytes` (once: an existing blob is left as it is) and returns its digest.
    /// Compression runs before the write transaction so the writer lock is held only for puts.
    @discardableResult
    public func putBlob(_ bytes: some ContiguousBytes) throws -> BlobDigest {
        let prepared = try prepareBlob(bytes)
        try environment.write { txn in try put(prepared, in: txn) }
        return prepared.digest
    }

    /// Hashes, checks and compresses a blob outside any transaction, for `putBlob` or for an
    /// `append` that must store the archive and its release event in one transaction.
    public func prepareBlob(_ bytes: some ContiguousBytes) throws -> PreparedBlob {
        let chunkSize = limits.blobChunkSize
        return try bytes.withUnsafeBytes { buffer in
            guard buffer.count <= limits.maxBlobSize else {
                throw StoreError.blobTooLarge(size: buffer.count, limit: limits.maxBlobSize)
            }
            let digest = BlobDigest(hashing: buffer)
            if try hasBlob(digest) { return PreparedBlob(digest: digest, size: buffer.count, chunkSize: chunkSize, chunks: nil) }
            guard let context = ZstdChunk.makeContext() else { throw StoreError.corrupt("zstd could not allocate a context") }
            defer { ZSTD_freeCCtx(context) }
            var chunks: [[UInt8]] = []
            chunks.reserveCapacity(buffer.count / chunkSize + 1)
            var offset = 0
            while offset < buffer.count {
                let piece = UnsafeRawBufferPointer(rebasing: buffer[offset..<min(offset + chunkSize, buffer.count)])
                if let compressed = ZstdChunk.compress(piece, context: context) {
                    chunks.append([Self.zstdChunk] + compressed)
                } else {
                    chunks.append([Self.rawChunk] + Array(piece))
                }
                offset += chunkSize
            }
            return PreparedBlob(digest: digest, size: buffer.count, chunkSize: chunkSize, chunks: chunks)
        }
    }

    func put(_ blob: PreparedBlob, in txn: WriteTransaction) throws {
        if let holder = blob.pin { try pin(blob.digest, holder: holder, in: txn) }
        try txn.put(databases.blobUses, key: blob.digest.bytes, value: BigEndian.bytes(blobUseLog.stamp()))
        guard try !txn.contains(databases.blobs, key: blob.digest.bytes) else { return }
        guard let chunks = blob.chunks else {
            throw StoreError.corrupt("blob \(blob.digest) was present when prepared and has vanished since")
        }
        var key = blob.digest.bytes + [0, 0, 0, 0]
        for (index, chunk) in chunks.enumerated() {
            key.replaceSubrange(32..<36, with: BigEndian.bytes(UInt32(index)))
            try txn.put(databases.blobChunks, key: key, value: chunk)
        }
        var header: [UInt8] = [Self.blobFormat]
        BigEndian.append(UInt64(blob.size), to: &header)
        BigEndian.append(UInt32(blob.chunkSize), to: &header)
        try txn.put(databases.blobs, key: blob.digest.bytes, value: header)
    }

    public func hasBlob(_ digest: BlobDigest) throws -> Bool {
        try read { txn in try txn.contains(databases.blobs, key: digest.bytes) }
    }

    /// The blob's size as stored; nil when absent.
    public func blobSize(_ digest: BlobDigest) throws -> Int? {
        try read { txn in try blobHeader(digest, txn)?.size }
    }

    /// The blob's bytes, checked against its digest: a mismatch throws
    /// `StoreError.blobDigestMismatch` naming both digests. Nil when absent.
    public func blob(_ digest: BlobDigest) throws -> [UInt8]? {
        try read { txn in
            guard let header = try blobHeader(digest, txn) else { return nil }
            let chunkCount = header.size == 0 ? 0 : (header.size - 1) / header.chunkSize + 1
            var key = digest.bytes + [0, 0, 0, 0]
            var failure: Error?
            let bytes = [UInt8](unsafeUninitializedCapacity: header.size) { output, count in
                do {
                    for index in 0..<chunkCount {
                        key.replaceSubrange(32..<36, with: BigEndian.bytes(UInt32(index)))
                        let start = index * header.chunkSize
                        let target = UnsafeMutableRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(output)[start..<min(start + header.chunkSize, header.size)])
                        let found: Void? = try txn.withValue(databases.blobChunks, key: key) { stored in
                            try Self.decodeChunk(stored, into: target, digest: digest, index: index)
                        }
                        guard found != nil else { throw StoreError.corrupt("blob \(digest) lacks chunk \(index)") }
                    }
                    count = header.size
                } catch {
                    failure = error
                    count = 0
                }
            }
            if let failure { throw failure }
            let actual = bytes.withUnsafeBytes { BlobDigest(hashing: $0) }
            guard actual == digest else { throw StoreError.blobDigestMismatch(expected: digest.hex, actual: actual.hex) }
            return bytes
        }
    }

    /// Re-reads a stored blob chunk by chunk, hashing as it goes (one chunk of memory), and
    /// says what is wrong: a missing, undecodable or mis-sized chunk by index, else a digest
    /// mismatch of the whole. Nil when the blob is absent or sound.
    func blobDamage(_ digest: BlobDigest, in txn: some ReadableTransaction) throws -> String? {
        let header: (size: Int, chunkSize: Int)?
        do {
            header = try blobHeader(digest, txn)
        } catch let error as StoreError {
            return "\(error)"
        }
        guard let header else { return nil }
        let chunkCount = header.size == 0 ? 0 : (header.size - 1) / header.chunkSize + 1
        var key = digest.bytes + [0, 0, 0, 0]
        var hasher = SHA256()
        var scratch = [UInt8](repeating: 0, count: min(header.chunkSize, header.size))
        for index in 0..<chunkCount {
            key.replaceSubrange(32..<36, with: BigEndian.bytes(UInt32(index)))
            let length = min(header.chunkSize, header.size - index * header.chunkSize)
            do {
                let found: Void? = try scratch.withUnsafeMutableBytes { buffer in
                    let target = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<length])
                    return try txn.withValue(databases.blobChunks, key: key) { stored in
                        try Self.decodeChunk(stored, into: target, digest: digest, index: index)
                    }
                }
                guard found != nil else { return "chunk \(index) of \(chunkCount) is missing" }
            } catch let error as StoreError {
                return "chunk \(index) of \(chunkCount): \(error)"
            }
            hasher.update(data: scratch[0..<length])
        }
        let actual = Array(hasher.finalize())
        guard actual == digest.bytes else {
            return "its \(chunkCount) chunks decode but hash to sha256 \(Hex.encode(actual)): a chunk's bytes were altered"
        }
        return nil
    }

    func blobHeader(_ digest: BlobDigest, _ txn: some ReadableTransaction) throws -> (size: Int, chunkSize: Int)? {
        try txn.withValue(databases.blobs, key: digest.bytes) { header in
            guard header.count == 13, header[0] == Self.blobFormat,
                  let size = BigEndian.uint64(header, at: 1), let chunkSize = BigEndian.uint32(header, at: 9),
                  chunkSize > 0, size <= UInt64(limits.maxBlobSize)
            else { throw StoreError.corrupt("blob \(digest) has a malformed or oversized header") }
            return (Int(size), Int(chunkSize))
        }
    }

    static func decodeChunk(_ stored: UnsafeRawBufferPointer, into target: UnsafeMutableRawBufferPointer, digest: BlobDigest, index: Int) throws {
        guard let flag = stored.first else { throw StoreError.corrupt("blob \(digest) chunk \(index) is empty") }
        let payload = UnsafeRawBufferPointer(rebasing: stored[1...])
        switch flag {
        case rawChunk:
            guard payload.count == target.count else {
                throw StoreError.corrupt("blob \(digest) chunk \(index) holds \(payload.count) bytes, expected \(target.count)")
            }
            target.copyMemory(from: payload)
        case zstdChunk:
            try ZstdChunk.decompress(payload, into: target)
        default:
            throw StoreError.corrupt("blob \(digest) chunk \(index) has unknown encoding \(flag)")
        }
    }
}

/// A blob hashed and compressed, ready to be written. `chunks` is nil when the store
/// already held the blob at preparation time.
public struct PreparedBlob: Sendable {
    public let digest: BlobDigest
    public let size: Int
    let chunkSize: Int
    let chunks: [[UInt8]]?
    /// Written with the blob, in its transaction (a publish pins its own archive).
    public var pin: BlobPinHolder?

    public func pinned(by holder: BlobPinHolder) -> PreparedBlob {
        var copy = self
        copy.pin = holder
        return copy
    }
}
