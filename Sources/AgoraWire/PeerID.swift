import AgoraCore
import Crypto
import Foundation

public enum PeerIDError: Error, Equatable, Sendable, CustomStringConvertible {
    case malformedText(String)
    case malformedMultihash(Multihash.DecodeError)
    case unsupportedHash(code: UInt64)
    case notAPeerIDCID(String)
    case malformedPublicKey(String)
    case unsupportedKeyType(UInt64)

    public var description: String {
        switch self {
        case .malformedText(let why): return "peer ID: \(why)"
        case .malformedMultihash(let error): return "peer ID: \(error)"
        case .unsupportedHash(let code): return "peer ID: multihash code 0x\(String(code, radix: 16)) is not identity or sha2-256"
        case .notAPeerIDCID(let why): return "peer ID: not a libp2p-key CID: \(why)"
        case .malformedPublicKey(let why): return "libp2p public key: \(why)"
        case .unsupportedKeyType(let type): return "libp2p public key: key type \(type) is not supported (only Ed25519)"
        }
    }
}

/// The libp2p `PublicKey` protobuf (`KeyType Type = 1; bytes Data = 2`), ed25519 only:
/// Agora identities are ed25519 and peer IDs embed this encoding.
public enum Libp2pPublicKey {
    /// RSA keys are the largest libp2p defines; anything longer is hostile.
    public static let maxEncodedLength = 1024

    /// Fields are written in number order, so the encoding (which peer IDs hash) is stable.
    public static func encode(_ key: Curve25519.Signing.PublicKey) -> [UInt8] {
        var message = Crypto_Pb_PublicKey()
        message.type = .ed25519
        message.data = key.rawRepresentation
        return (try? BoundedProtobuf.encode(message)) ?? []
    }

    public static func decode<Bytes: Collection>(_ bytes: Bytes) throws(PeerIDError) -> Curve25519.Signing.PublicKey
    where Bytes.Element == UInt8 {
        let message: Crypto_Pb_PublicKey
        do {
            message = try BoundedProtobuf.decode(Crypto_Pb_PublicKey.self, from: bytes, maxLength: maxEncodedLength)
        } catch {
            throw .malformedPublicKey(error.description)
        }
        guard message.type == .ed25519 else { throw .unsupportedKeyType(UInt64(message.type.rawValue)) }
        let data = message.data
        guard data.count == 32, let key = try? Curve25519.Signing.PublicKey(rawRepresentation: data) else {
            throw .malformedPublicKey("ed25519 key data must be 32 bytes")
        }
        return key
    }
}

/// A libp2p peer ID: the multihash of the peer's encoded public key. Keys whose
/// encoding fits in 42 bytes (ed25519) are inlined with the identity hash, so the
/// key can be recovered from the ID alone.
public struct PeerID: Hashable, Sendable, CustomStringConvertible {
    /// Multicodec for CIDs naming a libp2p public key.
    public static let libp2pKeyCodec: UInt64 = 0x72
    static let maxInlineKeyLength = 42

    public let multihash: Multihash

    public init(publicKey: Curve25519.Signing.PublicKey) {
        let encoded = Libp2pPublicKey.encode(publicKey)
        multihash = encoded.count <= Self.maxInlineKeyLength ? .identity(encoded) : .sha256(of: encoded)
    }

    public init(identity: Identity) {
        self.init(publicKey: identity.privateKey.publicKey)
    }

    public init(multihash: Multihash) throws(PeerIDError) {
        switch multihash.code {
        case Multihash.sha256Code:
            break
        case Multihash.identityCode:
            guard multihash.digest.count <= Self.maxInlineKeyLength else {
                throw .malformedText("identity multihash longer than \(Self.maxInlineKeyLength) bytes")
            }
            _ = try Libp2pPublicKey.decode(multihash.digest)
        default:
            throw .unsupportedHash(code: multihash.code)
        }
        self.multihash = multihash
    }

    /// The binary form (a multihash), as carried in multiaddrs and protobufs.
    public init<Bytes: Collection>(bytes: Bytes) throws(PeerIDError) where Bytes.Element == UInt8 {
        let multihash: Multihash
        do {
            multihash = try Multihash(decoding: bytes)
        } catch {
            throw .malformedMultihash(error)
        }
        try self.init(multihash: multihash)
    }

    /// Parses the legacy base58btc form (`12D3KooW…`, `Qm…`) or a CIDv1 in any supported multibase.
    public init(string: String) throws(PeerIDError) {
        if string.hasPrefix("1") || string.hasPrefix("Qm") {
            let raw: [UInt8]
            do {
                raw = try Base58.decode(string, maxLength: 128)
            } catch {
                throw .malformedText(error.description)
            }
            try self.init(bytes: raw)
            return
        }
        let raw: [UInt8]
        do {
            raw = try Multibase.decode(string, maxLength: 256).bytes
        } catch {
            throw .malformedText(error.description)
        }
        try self.init(cidBytes: raw)
    }

    private init(cidBytes raw: [UInt8]) throws(PeerIDError) {
        let version: (value: UInt64, length: Int)
        let codec: (value: UInt64, length: Int)
        do {
            version = try Varint.decode(raw, at: 0)
            codec = try Varint.decode(raw, at: version.length)
        } catch {
            throw .notAPeerIDCID("malformed CID header")
        }
        guard version.value == 1 else { throw .notAPeerIDCID("CID version \(version.value)") }
        guard codec.value == Self.libp2pKeyCodec else {
            throw .notAPeerIDCID("codec 0x\(String(codec.value, radix: 16)), expected libp2p-key 0x72")
        }
        try self.init(bytes: raw[(version.length + codec.length)...])
    }

    public var bytes: [UInt8] { multihash.bytes }

    /// The form libp2p prints: base58btc of the multihash.
    public var base58: String { Base58.encode(bytes) }

    /// CIDv1 with the libp2p-key codec, in multibase base32.
    public var cid: String {
        var raw = Varint.encode(1)
        Varint.encode(Self.libp2pKeyCodec, into: &raw)
        raw.append(contentsOf: bytes)
        return Multibase.encode(raw, as: .base32)
    }

    public var description: String { base58 }

    /// The ed25519 key inlined in the ID, or nil when the ID only holds a hash of the key.
    public var ed25519PublicKey: Curve25519.Signing.PublicKey? {
        guard multihash.code == Multihash.identityCode else { return nil }
        return try? Libp2pPublicKey.decode(multihash.digest)
    }
}
