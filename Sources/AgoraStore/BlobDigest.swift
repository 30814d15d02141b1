import AgoraCore
import Crypto

/// SHA-256 of a blob's bytes: its name in the store and in release events.
public struct BlobDigest: Hashable, Sendable, CustomStringConvertible {
    public let bytes: [UInt8]

    public init?(bytes: [UInt8]) {
        guard bytes.count == 32 else { return nil }
        self.bytes = bytes
    }

    public init(hashing data: UnsafeRawBufferPointer) {
        bytes = Array(SHA256.hash(data: data))
    }

    public init?(hex: String) {
        guard let raw = Hex.decode(hex) else { return nil }
        self.init(bytes: raw)
    }

    public var hex: String { Hex.encode(bytes) }
    public var description: String { hex }
}
