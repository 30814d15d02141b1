import Foundation

/// Byte-order comparison of arrays with `memcmp`, for the rebuild's sort of package keys: the
/// generic `lexicographicallyPrecedes` compares element by element through iterators. Same
/// order: bytes, then length. (Not for the terms of a document: tokens are small strings,
/// and spilling them to the stack to compare cost more than the generic order.)
enum ByteOrder {
    static func precedes(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        lhs.withUnsafeBufferPointer { left in rhs.withUnsafeBufferPointer { right in precedes(left, right) } }
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
