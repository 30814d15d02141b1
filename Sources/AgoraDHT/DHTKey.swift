import AgoraCore
import Crypto
import Foundation

/// A point of the 256-bit Kademlia keyspace: the SHA-256 of a peer ID's bytes or of a record
/// key, as libp2p's kad-dht defines it. Held as four big-endian words so XOR distances and
/// their comparison cost a few instructions, which the 10,000-node simulator needs.
public struct DHTKey: Hashable, Comparable, Sendable, CustomStringConvertible {
    public static let bitCount = 256

    var w0: UInt64
    var w1: UInt64
    var w2: UInt64
    var w3: UInt64

    public static let zero = DHTKey(words: (0, 0, 0, 0))

    init(words: (UInt64, UInt64, UInt64, UInt64)) {
        (w0, w1, w2, w3) = words
    }

    /// The key of a 32-byte digest, read big-endian; nil for any other length.
    public init?(digest: some Collection<UInt8>) {
        guard digest.count == 32 else { return nil }
        var words: [UInt64] = [0, 0, 0, 0]
        for (index, byte) in digest.enumerated() {
            words[index / 8] = words[index / 8] << 8 | UInt64(byte)
        }
        self.init(words: (words[0], words[1], words[2], words[3]))
    }

    /// SHA-256 of `bytes`: the keyspace position of a peer ID or a record key.
    public init(hashing bytes: some DataProtocol) {
        self.init(digest: Array(SHA256.hash(data: bytes)))!
    }

    /// A uniformly random key (simulated peers, refresh targets).
    public static func random(using generator: inout some RandomNumberGenerator) -> DHTKey {
        DHTKey(words: (generator.next(), generator.next(), generator.next(), generator.next()))
    }

    /// The XOR distance, itself a key so distances compare with `<`.
    public func distance(to other: DHTKey) -> DHTKey {
        DHTKey(words: (w0 ^ other.w0, w1 ^ other.w1, w2 ^ other.w2, w3 ^ other.w3))
    }

    public var leadingZeroBitCount: Int {
        if w0 != 0 { return w0.leadingZeroBitCount }
        if w1 != 0 { return 64 + w1.leadingZeroBitCount }
        if w2 != 0 { return 128 + w2.leadingZeroBitCount }
        if w3 != 0 { return 192 + w3.leadingZeroBitCount }
        return Self.bitCount
    }

    /// How many leading bits the two keys share: the routing table's bucket index.
    public func commonPrefixLength(with other: DHTKey) -> Int {
        distance(to: other).leadingZeroBitCount
    }

    /// A key sharing exactly `prefixLength` leading bits with `self` (so it falls into
    /// bucket `prefixLength` of a table centred here), the remaining bits random.
    public func randomKey(withCommonPrefix prefixLength: Int, using generator: inout some RandomNumberGenerator) -> DHTKey {
        precondition((0..<Self.bitCount).contains(prefixLength), "a prefix length is 0 ..< 256")
        let random = DHTKey.random(using: &generator)
        var out = self.words
        var noise = random.words
        for index in 0..<4 {
            let low = index * 64
            let high = low + 64
            let keep: UInt64
            if prefixLength >= high {
                keep = .max
            } else if prefixLength <= low {
                keep = 0
            } else {
                keep = ~(UInt64.max >> UInt64(prefixLength - low))
            }
            out[index] = (out[index] & keep) | (noise[index] & ~keep)
            noise[index] = 0
        }
        // Flip the first differing bit so the prefix is exactly `prefixLength` long.
        let word = prefixLength / 64
        let bit = UInt64(1) << UInt64(63 - prefixLength % 64)
        out[word] = (self.words[word] & bit) == 0 ? out[word] | bit : out[word] & ~bit
        return DHTKey(words: (out[0], out[1], out[2], out[3]))
    }

    var words: [UInt64] { [w0, w1, w2, w3] }

    public var bytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(32)
        for word in words {
            for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: word >> UInt64(shift))) }
        }
        return out
    }

    public static func < (lhs: DHTKey, rhs: DHTKey) -> Bool {
        if lhs.w0 != rhs.w0 { return lhs.w0 < rhs.w0 }
        if lhs.w1 != rhs.w1 { return lhs.w1 < rhs.w1 }
        if lhs.w2 != rhs.w2 { return lhs.w2 < rhs.w2 }
        return lhs.w3 < rhs.w3
    }

    public var description: String {
        Hex.encode(bytes.prefix(8))
    }
}
