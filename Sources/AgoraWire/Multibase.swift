import AgoraCore

/// Self-describing text encodings: the first character names the base. libp2p uses
/// 'z' (base58btc) and 'b' (base32 lower, unpadded) for CIDs such as peer IDs.
public enum Multibase: Character, Sendable, CaseIterable {
    case base58btc = "z"
    case base32 = "b"
    case base32Upper = "B"
    case base16 = "f"

    public enum DecodeError: Error, Equatable, Sendable, CustomStringConvertible {
        case empty
        case unsupportedPrefix(Character)
        case invalidCharacter(Character)
        case invalidLength
        case tooLong(length: Int, limit: Int)

        public var description: String {
            switch self {
            case .empty: return "multibase: empty text"
            case .unsupportedPrefix(let c): return "multibase: unsupported base prefix \(String(reflecting: c))"
            case .invalidCharacter(let c): return "multibase: invalid character \(String(reflecting: c))"
            case .invalidLength: return "multibase: impossible length for the base"
            case .tooLong(let length, let limit): return "multibase: text of \(length) characters exceeds the limit of \(limit)"
            }
        }
    }

    public static func encode<Bytes: Collection>(_ bytes: Bytes, as base: Multibase) -> String where Bytes.Element == UInt8 {
        let body: String
        switch base {
        case .base58btc: body = Base58.encode(bytes)
        case .base32: body = Base32.encode(bytes)
        case .base32Upper: body = Base32.encode(bytes).uppercased()
        case .base16: body = Hex.encode(bytes)
        }
        return String(base.rawValue) + body
    }

    public static func decode(_ text: some StringProtocol, maxLength: Int = 1024) throws(DecodeError) -> (base: Multibase, bytes: [UInt8]) {
        guard text.utf8.count <= maxLength else { throw .tooLong(length: text.utf8.count, limit: maxLength) }
        guard let first = text.first else { throw .empty }
        guard let base = Multibase(rawValue: first) else { throw .unsupportedPrefix(first) }
        let body = text.dropFirst()
        switch base {
        case .base58btc:
            do {
                return (base, try Base58.decode(body, maxLength: maxLength))
            } catch {
                switch error {
                case .invalidCharacter(let c): throw .invalidCharacter(c)
                case .tooLong(let length, let limit): throw .tooLong(length: length, limit: limit)
                }
            }
        case .base32:
            return (base, try Base32.decode(body, upper: false))
        case .base32Upper:
            return (base, try Base32.decode(body, upper: true))
        case .base16:
            if let bad = body.first(where: { !("0"..."9").contains($0) && !("a"..."f").contains($0) }) {
                throw .invalidCharacter(bad)
            }
            guard let bytes = Hex.decode(body) else { throw .invalidLength }
            return (base, bytes)
        }
    }
}

/// RFC 4648 base32 without padding, as multibase 'b'/'B' uses it.
enum Base32 {
    private static let alphabet: [UInt8] = Array("abcdefghijklmnopqrstuvwxyz234567".utf8)

    static func encode<Bytes: Collection>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count * 8 + 4) / 5)
        var buffer: UInt32 = 0
        var bits = 0
        for byte in bytes {
            buffer = buffer << 8 | UInt32(byte)
            bits += 8
            while bits >= 5 {
                bits -= 5
                out.append(alphabet[Int((buffer >> UInt32(bits)) & 0x1f)])
            }
        }
        if bits > 0 {
            out.append(alphabet[Int((buffer << UInt32(5 - bits)) & 0x1f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func decode(_ text: some StringProtocol, upper: Bool) throws(Multibase.DecodeError) -> [UInt8] {
        let utf8 = Array(text.utf8)
        // 1, 3 and 6 trailing characters cannot come from whole bytes.
        guard ![1, 3, 6].contains(utf8.count % 8) else { throw .invalidLength }
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count * 5 / 8)
        var buffer: UInt32 = 0
        var bits = 0
        for char in utf8 {
            let value: UInt32
            switch char {
            case UInt8(ascii: "a")...UInt8(ascii: "z") where !upper: value = UInt32(char - UInt8(ascii: "a"))
            case UInt8(ascii: "A")...UInt8(ascii: "Z") where upper: value = UInt32(char - UInt8(ascii: "A"))
            case UInt8(ascii: "2")...UInt8(ascii: "7"): value = UInt32(char - UInt8(ascii: "2")) + 26
            default: throw .invalidCharacter(Character(Unicode.Scalar(char)))
            }
            buffer = (buffer << 5 | value) & 0xffff
            bits += 5
            if bits >= 8 {
                bits -= 8
                out.append(UInt8((buffer >> UInt32(bits)) & 0xff))
            }
        }
        // Leftover bits must be zero so every byte string has exactly one text form.
        guard buffer & ((1 << UInt32(bits)) - 1) == 0 else { throw .invalidLength }
        return out
    }
}
