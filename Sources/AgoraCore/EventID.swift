import Crypto
import Foundation

/// SHA-256 of an event's exact stored bytes: its name everywhere (log, gossip message ID, chain links).
public struct EventID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let bytes: [UInt8]

    public init(bytes: [UInt8]) throws(CanonicalDecodeError) {
        guard bytes.count == 32 else { throw CanonicalDecodeError("event ID must be 32 bytes, got \(bytes.count)") }
        self.bytes = bytes
    }

    public init(hashing data: some DataProtocol) {
        self.bytes = Array(SHA256.hash(data: data))
    }

    public init?(hex: String) {
        guard let raw = Hex.decode(hex), raw.count == 32 else { return nil }
        self.bytes = raw
    }

    public var hex: String { Hex.encode(bytes) }
    public var description: String { hex }

    public func hash(into hasher: inout Hasher) {
        hasher.combineWords(of: bytes)
    }

    public static func == (lhs: EventID, rhs: EventID) -> Bool {
        lhs.bytes.equalsByWords(rhs.bytes)
    }

    public static func < (lhs: EventID, rhs: EventID) -> Bool {
        lhs.bytes.lexicographicallyPrecedes(rhs.bytes)
    }
}
