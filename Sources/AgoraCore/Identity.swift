import Crypto
import Foundation

/// A raw 32-byte ed25519 public key: the identity of an author or a node.
public struct PublicKey: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let bytes: [UInt8]

    public init(bytes: [UInt8]) throws(CanonicalDecodeError) {
        guard bytes.count == 32 else { throw CanonicalDecodeError("public key must be 32 bytes, got \(bytes.count)") }
        self.bytes = bytes
    }

    public init?(hex: String) {
        guard let raw = Hex.decode(hex), raw.count == 32 else { return nil }
        self.bytes = raw
    }

    public var hex: String { Hex.encode(bytes) }
    /// The first 16 hex digits: enough to tell keys apart at a glance in tables.
    public var short: String { String(hex.prefix(16)) }
    public var description: String { hex }

    public func isValidSignature(_ signature: some DataProtocol, for message: some DataProtocol) -> Bool {
        guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: bytes) else { return false }
        return key.isValidSignature(signature, for: message)
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
        self.publicKey = try! PublicKey(bytes: Array(privateKey.publicKey.rawRepresentation))
    }

    /// Deterministic keys from a 32-byte seed, the convention rust-libp2p and py-libp2p use for tests.
    public init(seed: [UInt8]) throws {
        self.init(privateKey: try Curve25519.Signing.PrivateKey(rawRepresentation: seed))
    }

    public static func generate() -> Identity {
        Identity(privateKey: Curve25519.Signing.PrivateKey())
    }

    public func sign(_ message: some DataProtocol) -> [UInt8] {
        Array(try! privateKey.signature(for: message))
    }

    private static let fileHeader = "agora-ed25519-seed-v1"

    /// Writes the key with mode 0600, via a temporary file and rename, so a crash never leaves half a key.
    public func write(to url: URL) throws {
        let text = "\(Self.fileHeader)\n\(Hex.encode(privateKey.rawRepresentation))\n"
        let directory = url.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let temporary = directory.appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())")
        guard FileManager.default.createFile(
            atPath: temporary.path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]
        ) else {
            throw IdentityError("cannot write identity file \(temporary.path)")
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: temporary.path)
        guard rename(temporary.path, url.path) == 0 else {
            throw IdentityError("cannot move identity file into place at \(url.path): errno \(errno)")
        }
    }

    public static func read(from url: URL) throws -> Identity {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw IdentityError("no identity at \(url.path); run `agora init` first")
        }
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n")
        guard lines.count == 2, lines[0] == fileHeader, let seed = Hex.decode(lines[1]), seed.count == 32 else {
            throw IdentityError("identity file \(url.path) is malformed")
        }
        return try Identity(seed: seed)
    }
}

public struct IdentityError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
