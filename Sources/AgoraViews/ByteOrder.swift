/// Byte order as LMDB compares keys — bytes, then length — for the views' sorts: the dirty and
/// bulk package keys, and a rebuild's tables. Eight bytes at a time, big-endian, in line: keys
/// and values are mostly a word to a few words, shorter than a `memcmp` call costs (netting a
/// rebuild's postings compares ~10⁶ neighbours under equal tokens), and the generic
/// `lexicographicallyPrecedes` goes element by element through iterators. (Not for the terms
/// of a document: tokens are small strings, and spilling them to the stack to compare cost
/// more than the generic order.)
enum ByteOrder {
    static func precedes(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        compare(lhs, rhs) < 0
    }

    /// Negative, zero or positive.
    static func compare(_ lhs: [UInt8], _ rhs: [UInt8]) -> Int {
        lhs.withUnsafeBytes { left in rhs.withUnsafeBytes { right in compare(left, right) } }
    }

    /// Negative, zero or positive.
    static func compare(_ lhs: UnsafeRawBufferPointer, _ rhs: UnsafeRawBufferPointer) -> Int {
        let common = min(lhs.count, rhs.count)
        var offset = 0
        while offset + 8 <= common {
            let left = UInt64(bigEndian: lhs.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
            let right = UInt64(bigEndian: rhs.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
            if left != right { return left < right ? -1 : 1 }
            offset += 8
        }
        while offset < common {
            if lhs[offset] != rhs[offset] { return lhs[offset] < rhs[offset] ? -1 : 1 }
            offset += 1
        }
        return lhs.count - rhs.count
    }

    /// The first 8 of the `count` bytes at `start`, big-endian, zero-padded: where two
    /// prefixes differ they order their byte strings as `compare` does, so most comparisons of
    /// index keys, radix chunks and document tokens end at one integer comparison. Where they
    /// are equal, strings of up to 8 bytes differ at most in length (padding against real zero
    /// bytes).
    @inline(__always)
    static func prefix(_ bytes: UnsafeRawBufferPointer, start: Int, count: Int) -> UInt64 {
        if count >= 8 { return UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: start, as: UInt64.self)) }
        var prefix: UInt64 = 0
        for offset in 0..<max(count, 0) { prefix |= UInt64(bytes[start + offset]) << (56 - 8 * UInt64(offset)) }
        return prefix
    }
}
