extension Hasher {
    /// Feeds a byte string as 8-byte words (the tail byte by byte) rather than byte by byte:
    /// 32-byte keys and event IDs fill the views' sets and dictionaries, and hashing them byte
    /// by byte was 5 % of ingest.
    mutating func combineWords(of bytes: [UInt8]) {
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset + 8 <= raw.count {
                combine(raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
                offset += 8
            }
            for index in offset..<raw.count { combine(raw[index]) }
        }
    }
}
