/// Fixed-width big-endian integers: byte order equals numeric order, so LMDB's default
/// memcmp comparison sorts keys numerically.
public enum BigEndian {
    public static func append(_ value: UInt64, to out: inout [UInt8]) {
        for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }

    public static func append(_ value: UInt32, to out: inout [UInt8]) {
        for shift in stride(from: 24, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) }
    }

    public static func bytes(_ value: UInt64) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(8)
        append(value, to: &out)
        return out
    }

    public static func bytes(_ value: UInt32) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(4)
        append(value, to: &out)
        return out
    }

    /// Overwrites 8 bytes at `offset`; used to reuse key buffers on hot paths.
    public static func store(_ value: UInt64, into buffer: inout [UInt8], at offset: Int) {
        for index in 0..<8 { buffer[offset + index] = UInt8(truncatingIfNeeded: value >> UInt64(56 - 8 * index)) }
    }

    public static func uint64(_ bytes: UnsafeRawBufferPointer, at offset: Int = 0) -> UInt64? {
        guard offset >= 0, bytes.count - offset >= 8 else { return nil }
        return UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    public static func uint32(_ bytes: UnsafeRawBufferPointer, at offset: Int = 0) -> UInt32? {
        guard offset >= 0, bytes.count - offset >= 4 else { return nil }
        return UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    public static func uint64(_ bytes: some Collection<UInt8>) -> UInt64? {
        guard bytes.count == 8 else { return nil }
        return bytes.reduce(0) { $0 << 8 | UInt64($1) }
    }

    public static func uint32(_ bytes: some Collection<UInt8>) -> UInt32? {
        guard bytes.count == 4 else { return nil }
        return bytes.reduce(0) { $0 << 8 | UInt32($1) }
    }
}
