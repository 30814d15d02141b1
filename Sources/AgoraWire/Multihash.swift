import AgoraCore
import Crypto

/// A self-describing digest: varint hash code, varint digest length, digest.
/// Peer IDs are multihashes, and so are DHT keys for content.
public struct Multihash: Hashable, Sendable, CustomStringConvertible {
    public static let identityCode: UInt64 = 0x00
    public static let sha256Code: UInt64 = 0x12
    /// Bounds what a decoder will accept; real digests are at most 64 bytes and
    /// identity multihashes in peer IDs are at most 42.
    public static let defaultMaxDigestLength = 128

    public enum DecodeError: Error, Equatable, Sendable, CustomStringConvertible {
        case truncated
        case malformedVarint
        case digestTooLong(length: UInt64, limit: Int)
        case wrongDigestLength(code: UInt64, length: Int)
        case trailingBytes(Int)

        public var description: String {
            switch self {
            case .truncated: return "multihash: truncated"
            case .malformedVarint: return "multihash: malformed varint"
            case .digestTooLong(let length, let limit): return "multihash: digest of \(length) bytes exceeds the limit of \(limit)"
            case .wrongDigestLength(let code, let length): return "multihash: code 0x\(String(code, radix: 16)) cannot have a \(length)-byte digest"
            case .trailingBytes(let n): return "multihash: \(n) bytes after the digest"
            }
        }
    }

    public let code: UInt64
    public let digest: [UInt8]

    public init(code: UInt64, digest: [UInt8]) throws(DecodeError) {
        if code == Self.sha256Code && digest.count != 32 { throw .wrongDigestLength(code: code, length: digest.count) }
        self.code = code
        self.digest = digest
    }

    public static func identity(_ bytes: [UInt8]) -> Multihash {
        Multihash(unchecked: identityCode, digest: bytes)
    }

    public static func sha256<Bytes: Collection>(of bytes: Bytes) -> Multihash where Bytes.Element == UInt8 {
        Multihash(unchecked: sha256Code, digest: Array(SHA256.hash(data: Array(bytes))))
    }

    private init(unchecked code: UInt64, digest: [UInt8]) {
        self.code = code
        self.digest = digest
    }

    /// Decodes exactly one multihash occupying all of `bytes`.
    public init<Bytes: Collection>(decoding bytes: Bytes, maxDigestLength: Int = defaultMaxDigestLength) throws(DecodeError)
    where Bytes.Element == UInt8 {
        let array = Array(bytes)
        let (value, used) = try Self.decodePrefix(array[...], maxDigestLength: maxDigestLength)
        guard used == array.count else { throw .trailingBytes(array.count - used) }
        self = value
    }

    /// Decodes one multihash from the front of `bytes`, for formats that embed it (CIDs).
    public static func decodePrefix(_ bytes: ArraySlice<UInt8>, maxDigestLength: Int = defaultMaxDigestLength) throws(DecodeError)
        -> (multihash: Multihash, length: Int)
    {
        let code: (value: UInt64, length: Int)
        let length: (value: UInt64, length: Int)
        do {
            code = try Varint.decode(bytes, at: bytes.startIndex)
            length = try Varint.decode(bytes, at: bytes.startIndex + code.length)
        } catch {
            throw error == .truncated ? .truncated : .malformedVarint
        }
        guard length.value <= UInt64(maxDigestLength) else { throw .digestTooLong(length: length.value, limit: maxDigestLength) }
        let start = bytes.startIndex + code.length + length.length
        let digestLength = Int(length.value)
        guard bytes.endIndex - start >= digestLength else { throw .truncated }
        let multihash = try Multihash(code: code.value, digest: Array(bytes[start..<(start + digestLength)]))
        return (multihash, code.length + length.length + digestLength)
    }

    public var bytes: [UInt8] {
        var out = Varint.encode(code)
        Varint.encode(UInt64(digest.count), into: &out)
        out.append(contentsOf: digest)
        return out
    }

    public var description: String { Base58.encode(bytes) }
}
