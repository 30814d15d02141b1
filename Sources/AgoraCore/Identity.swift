import Crypto
import Foundation

/// A raw 32-byte ed25519 public key: the identity of an author or a node.
public struct PublicKey: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let bytes: [UInt8]

    /// A key swift-crypto already holds is 32 bytes by construction, so nothing can fail here.
    public init(_ key: Curve25519.Signing.PublicKey) {
        self.bytes = Array(key.rawRepresentation)
    }

    public init(bytes: [UInt8]) throws(CanonicalDecodeError) {
        guard bytes.count == 32 else { throw CanonicalDecodeError("public key must be 32 bytes, got \(bytes.count)") }
        self.bytes = bytes
    }

    public init?(hex: String) {
        guard let raw = Hex.decode(hex), raw.count == 32 else { return nil }
        self.bytes = raw
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combineWords(of: bytes)
    }

    public var hex: String { Hex.encode(bytes) }
    /// The first 16 hex digits: enough to tell keys apart at a glance in tables.
    public var short: String { String(hex.prefix(16)) }
    public var description: String { hex }

    public func isValidSignature(_ signature: some DataProtocol, for message: some DataProtocol) -> Bool {
        guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: bytes) else { return false }
        return key.isValidSignature(signature, for: message)
    }

    public static func == (lhs: PublicKey, rhs: PublicKey) -> Bool {
        lhs.bytes.equalsByWords(rhs.bytes)
    }

    public static func < (lhs: PublicKey, rhs: PublicKey) -> Bool {
        lhs.bytes.lexicographicallyPrecedes(rhs.bytes)
    }
}

/// An ed25519 signing identity, kept in a file only its owner can read.
public struct Identity: Sendable {
    public let privateKey: Curve25519.Signing.PrivateKey
    public let publicKey: PublicKey

    public init(privateKey: Curve25519.Signing.PrivateKey) {
        self.privateKey = privateKey
        self.publicKey = PublicKey(privateKey.publicKey)
    }

    /// Deterministic keys from a 32-byte seed, the convention rust-libp2p and py-libp2p use for tests.
    public init(seed: [UInt8]) throws {
        self.init(privateKey: try Curve25519.Signing.PrivateKey(rawRepresentation: seed))
    }

    public static func generate() -> Identity {
        Identity(privateKey: Curve25519.Signing.PrivateKey())
    }

    /// Throws what swift-crypto's signer throws (a failing BoringSSL call), never traps.
    public func sign(_ message: some DataProtocol) throws -> [UInt8] {
        Array(try privateKey.signature(for: message))
    }

    private static let fileHeader = "agora-ed25519-seed-v1"

    /// The key file's bytes: a header line and the hex seed. Writing them is the registry's
    /// job (mode 0600 from the first byte, fsynced); Core does no I/O.
    public var fileContents: [UInt8] {
        Array("\(Self.fileHeader)\n\(Hex.encode(privateKey.rawRepresentation))\n".utf8)
    }

    /// Parses `fileContents`; `source` names the file in the error.
    public init(fileContents data: some Collection<UInt8>, source: String) throws {
        let lines = String(decoding: data.prefix(256), as: UTF8.self).split(separator: "\n")
        guard data.count <= 256, lines.count == 2, lines[0] == Self.fileHeader, let seed = Hex.decode(lines[1]), seed.count == 32 else {
            throw IdentityError("identity file \(source) is malformed")
        }
        try self.init(seed: seed)
    }
}

public struct IdentityError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
