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

extension [UInt8] {
    /// Equal bytes, compared as 8-byte words (the tail byte by byte): the derived `==` of a
    /// 32-byte key went element by element, a third of grouping a rebuild's package events
    /// (each release's author compared with the last one's).
    func equalsByWords(_ other: [UInt8]) -> Bool {
        guard count == other.count else { return false }
        return withUnsafeBytes { left in
            other.withUnsafeBytes { right in
                var offset = 0
                while offset + 8 <= left.count {
                    guard left.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
                        == right.loadUnaligned(fromByteOffset: offset, as: UInt64.self) else { return false }
                    offset += 8
                }
                while offset < left.count {
                    guard left[offset] == right[offset] else { return false }
                    offset += 1
                }
                return true
            }
        }
    }
}
