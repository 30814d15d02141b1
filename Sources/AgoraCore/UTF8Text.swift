/// UTF-8 bytes as a `String`, nil when they are not valid UTF-8.
///
/// `String(validating:as:)` is generic and not inlinable, so it runs unspecialised and asks
/// the runtime for type metadata on every call: ~480 instructions for a short field, against
/// ~30 for the validation itself, and decoding a release body reads four such fields. ASCII
/// (nearly every field of an event or manifest) is valid as it stands and takes
/// `String(decoding:as:)` over a buffer pointer, which is specialised; anything else is
/// validated as before.
public enum UTF8Text {
    public static func string(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        isASCII(bytes) ? String(decoding: bytes, as: UTF8.self) : String(validating: bytes, as: UTF8.self)
    }

    public static func string(_ bytes: ArraySlice<UInt8>) -> String? {
        bytes.withUnsafeBufferPointer { string($0) }
    }

    /// Eight bytes at a time: every byte below 0x80.
    public static func isASCII(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = bytes.baseAddress else { return true }
        let raw = UnsafeRawPointer(base)
        var offset = 0
        var high: UInt64 = 0
        while offset + 8 <= bytes.count {
            high |= raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
            offset += 8
        }
        while offset < bytes.count {
            high |= UInt64(bytes[offset])
            offset += 1
        }
        return high & 0x8080_8080_8080_8080 == 0
    }
}
