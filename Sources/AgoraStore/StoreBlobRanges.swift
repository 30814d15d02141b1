import AgoraCore

extension Store {
    /// `length` bytes of a stored blob from `offset` (clamped to its end), decoding only the
    /// stored chunks the range touches. Unlike `blob(_:)` this cannot check the digest: callers
    /// serving ranges to peers rely on the receiver verifying the whole. Nil when absent.
    public func blobRange(_ digest: BlobDigest, offset: Int, length: Int) throws -> [UInt8]? {
        try read { txn in
            guard let header = try blobHeader(digest, txn) else { return nil }
            guard offset >= 0, length >= 0, offset <= header.size else {
                throw StoreError.corrupt("blob \(digest): range at \(offset) outside its \(header.size) bytes")
            }
            let end = offset + min(length, header.size - offset)
            guard end > offset else { return [] }
            var out: [UInt8] = []
            out.reserveCapacity(end - offset)
            var scratch = [UInt8](repeating: 0, count: header.chunkSize)
            var key = digest.bytes + [0, 0, 0, 0]
            for index in (offset / header.chunkSize)...((end - 1) / header.chunkSize) {
                let start = index * header.chunkSize
                let count = min(header.chunkSize, header.size - start)
                key.replaceSubrange(32..<36, with: BigEndian.bytes(UInt32(index)))
                let found: Void? = try scratch.withUnsafeMutableBytes { buffer in
                    try txn.withValue(databases.blobChunks, key: key) { stored in
                        try Self.decodeChunk(stored, into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<count]), digest: digest, index: index)
                    }
                }
                guard found != nil else { throw StoreError.corrupt("blob \(digest) lacks chunk \(index)") }
                out += scratch[max(offset, start) - start..<min(end, start + count) - start]
            }
            return out
        }
    }
}
