import Foundation

/// Byte-order comparison with `memcmp`, for the sorts a rebuild runs per package and per
/// document: the generic `lexicographicallyPrecedes` compares element by element through
/// iterators and was a few percent of a rebuild on its own. Same order: bytes, then length.
enum ByteOrder {
    static func precedes(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        lhs.withUnsafeBufferPointer { left in rhs.withUnsafeBufferPointer { right in precedes(left, right) } }
    }

    /// The UTF-8 bytes of `lhs` before those of `rhs`. `withUTF8` on copies: a small string
    /// (most tokens) has no contiguous `utf8` storage to borrow, and is spilled to the stack.
    static func precedes(_ lhs: String, _ rhs: String) -> Bool {
        var (left, right) = (lhs, rhs)
        return left.withUTF8 { left in right.withUTF8 { right in precedes(left, right) } }
    }

    private static func precedes(_ lhs: UnsafeBufferPointer<UInt8>, _ rhs: UnsafeBufferPointer<UInt8>) -> Bool {
        let common = min(lhs.count, rhs.count)
        if common > 0, let left = lhs.baseAddress, let right = rhs.baseAddress {
            let order = memcmp(left, right, common)
            if order != 0 { return order < 0 }
        }
        return lhs.count < rhs.count
    }
}
