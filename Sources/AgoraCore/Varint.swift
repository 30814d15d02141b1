/// Unsigned LEB128 varints as used by multiformats, protobuf and our event encoding.
///
/// Decoding is bounded (at most 10 bytes, must fit in UInt64) and rejects non-minimal
/// encodings, because every byte of a signed event must have exactly one meaning.
public enum Varint {
    public enum DecodeError: Error, Equatable, Sendable {
        case truncated
        case overflow
        case nonMinimal
    }

    public static func encode(_ value: UInt64, into out: inout [UInt8]) {
        var v = value
        while v >= 0x80 {
            out.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
    }

    public static func encode(_ value: UInt64) -> [UInt8] {
        var out: [UInt8] = []
        encode(value, into: &out)
        return out
    }

    public static func encodedLength(_ value: UInt64) -> Int {
        var v = value
        var n = 1
        while v >= 0x80 { v >>= 7; n += 1 }
        return n
    }

    /// Decodes a varint starting at `offset`, returning the value and the number of bytes used.
    /// Inlinable so a caller's collection type is specialised (record readers call it per field).
    @inlinable
    public static func decode<C: RandomAccessCollection>(_ bytes: C, at offset: C.Index) throws(DecodeError) -> (value: UInt64, length: Int)
    where C.Element == UInt8 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        var index = offset
        var count = 0
        while true {
            guard index < bytes.endIndex else { throw .truncated }
            let byte = bytes[index]
            count += 1
            if count == 10 && byte > 1 { throw .overflow }
            result |= UInt64(byte & 0x7f) << shift
            if byte & 0x80 == 0 {
                if count > 1 && byte == 0 { throw .nonMinimal }
                return (result, count)
            }
            shift += 7
            index = bytes.index(after: index)
        }
    }
}
