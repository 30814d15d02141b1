import Foundation

/// Sorts index changes by key, then value, in LMDB's byte order (`IndexChanges.compare`), by
/// radix on 8-byte chunks instead of comparisons.
///
/// A rebuild sorts millions of changes (postings: ~30 per package), most sharing their first
/// bytes with many others (one token in thousands of documents, one author's key for every
/// package it published), so a comparison sort spends its time in `memcmp` over equal keys.
/// Here each level orders a range by one chunk of the key (or, once the keys are equal, of the
/// value) with the number of bytes left in it, and only runs that still tie go on to the next
/// chunk; small ranges, and ranges deeper than `maxDepth`, fall back to the comparison.
///
/// Per level the order is (chunk, rest): `chunk` is 8 bytes from the level's offset,
/// big-endian and zero-padded, `rest` the bytes left from the offset capped at 9 (9: the field
/// goes on). Equal chunks with different `rest` differ only in padding versus real zero bytes,
/// and the shorter field is then a prefix of the longer, so it sorts first, as `memcmp` with
/// the length as tiebreak does.
enum ChangeOrder {
    /// Below this many changes a range is sorted by comparison: a radix level costs a pass over
    /// 2 KiB of counters per digit.
    static let radixThreshold = 64
    /// Levels (8-byte chunks of key and value) a range is refined by radix at most; deeper ties
    /// (long keys or values shared by many changes) are sorted by comparison, bounding recursion.
    static let maxDepth = 16

    static func sort(_ changes: inout [IndexChanges.Change], _ arena: UnsafeRawBufferPointer) {
        guard changes.count > 1 else { return }
        var scratch = changes
        changes.withUnsafeMutableBufferPointer { items in
            scratch.withUnsafeMutableBufferPointer { scratch in
                sort(items, 0..<items.count, inValue: false, chunk: 0, depth: 0, scratch: scratch, arena)
            }
        }
    }

    /// One chunk's order key and the element's index in its range.
    private struct Keyed {
        var chunk: UInt64
        /// `rest << 32 | index`.
        var tail: UInt64
    }

    /// Sorts `range`, whose changes agree on every chunk before this one.
    private static func sort(
        _ items: UnsafeMutableBufferPointer<IndexChanges.Change>, _ range: Range<Int>, inValue: Bool, chunk: Int, depth: Int,
        scratch: UnsafeMutableBufferPointer<IndexChanges.Change>, _ arena: UnsafeRawBufferPointer
    ) {
        guard range.count >= radixThreshold, depth < maxDepth else {
            var slice = UnsafeMutableBufferPointer(rebasing: items[range])
            slice.sort { IndexChanges.compare(arena, $0, $1) < 0 }
            return
        }
        let offset = chunk * 8
        var keyed = [Keyed](unsafeUninitializedCapacity: range.count) { buffer, initialized in
            for position in 0..<range.count {
                let change = items[range.lowerBound + position]
                let field = inValue
                    ? (start: change.start + Int(change.keyCount), count: Int(change.valueCount))
                    : (start: change.start, count: Int(change.keyCount))
                let (value, rest) = Self.chunk(arena, start: field.start, count: field.count, offset: offset)
                buffer[position] = Keyed(chunk: value, tail: UInt64(rest) << 32 | UInt64(position))
            }
            initialized = range.count
        }
        radixSort(&keyed)
        for (position, entry) in keyed.enumerated() {
            scratch[range.lowerBound + position] = items[range.lowerBound + Int(truncatingIfNeeded: entry.tail & 0xffff_ffff)]
        }
        for index in range { items[index] = scratch[index] }

        var start = 0
        while start < keyed.count {
            let first = keyed[start]
            var end = start + 1
            while end < keyed.count, keyed[end].chunk == first.chunk, keyed[end].tail >> 32 == first.tail >> 32 { end += 1 }
            if end - start > 1 {
                let tied = (range.lowerBound + start)..<(range.lowerBound + end)
                if first.tail >> 32 == 9 {
                    sort(items, tied, inValue: inValue, chunk: chunk + 1, depth: depth + 1, scratch: scratch, arena)
                } else if !inValue {
                    // Equal keys: order by value.
                    sort(items, tied, inValue: true, chunk: 0, depth: depth + 1, scratch: scratch, arena)
                }
                // Equal keys and equal values: any order.
            }
            start = end
        }
    }

    /// Bytes `offset..<offset + 8` of the field at `arena[start..<start + count]`, big-endian and
    /// zero-padded, and how many bytes of the field are left from `offset`, capped at 9.
    @inline(__always)
    private static func chunk(_ arena: UnsafeRawBufferPointer, start: Int, count: Int, offset: Int) -> (UInt64, UInt8) {
        let available = count - offset
        guard available > 0 else { return (0, 0) }
        return (ByteOrder.prefix(arena, start: start + offset, count: available), UInt8(min(available, 9)))
    }

    /// Stable LSD radix sort by (chunk, rest): one counting pass per byte, skipping bytes that
    /// are the same in every element.
    private static func radixSort(_ keyed: inout [Keyed]) {
        let count = keyed.count
        // Digit 0 is `rest`, digits 1...8 the chunk's bytes from the least significant.
        var counts = [Int](repeating: 0, count: 9 * 256)
        keyed.withUnsafeBufferPointer { items in
            counts.withUnsafeMutableBufferPointer { counts in
                for item in items {
                    counts[Int(truncatingIfNeeded: item.tail >> 32)] += 1
                    for byte in 0..<8 { counts[(byte + 1) * 256 + Int(truncatingIfNeeded: (item.chunk >> (8 * UInt64(byte))) & 0xff)] += 1 }
                }
            }
        }
        var other = keyed
        var sourceIsKeyed = true
        for digit in 0..<9 {
            let base = digit * 256
            if counts[base..<(base + 256)].contains(count) { continue }
            var offsets = [Int](repeating: 0, count: 256)
            var sum = 0
            for bucket in 0..<256 {
                offsets[bucket] = sum
                sum += counts[base + bucket]
            }
            func pass(_ source: UnsafeBufferPointer<Keyed>, _ target: UnsafeMutableBufferPointer<Keyed>) {
                offsets.withUnsafeMutableBufferPointer { offsets in
                    for item in source {
                        let bucket = digit == 0
                            ? Int(truncatingIfNeeded: item.tail >> 32)
                            : Int(truncatingIfNeeded: (item.chunk >> (8 * UInt64(digit - 1))) & 0xff)
                        target[offsets[bucket]] = item
                        offsets[bucket] += 1
                    }
                }
            }
            if sourceIsKeyed {
                keyed.withUnsafeBufferPointer { source in other.withUnsafeMutableBufferPointer { pass(source, $0) } }
            } else {
                other.withUnsafeBufferPointer { source in keyed.withUnsafeMutableBufferPointer { pass(source, $0) } }
            }
            sourceIsKeyed.toggle()
        }
        if !sourceIsKeyed { keyed = other }
    }
}
