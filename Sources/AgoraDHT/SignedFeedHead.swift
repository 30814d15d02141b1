import AgoraCore

/// The value of a feed-head record (`/agora-feed-head/<author hex>`): how far an author's feed
/// goes, signed by the author, so any node can store and serve it and nobody can forge or
/// roll it back past a newer one it has seen. A fixed layout, so there is one byte string per
/// head: version 1 (1 byte), author key (32), seq (8, big-endian), head event ID (32), then
/// the ed25519 signature (64) over "agora-feed-head-v1:" ‖ the 73 bytes before it.
public struct SignedFeedHead: Equatable, Sendable {
    static let domain = Array("agora-feed-head-v1:".utf8)
    static let version: UInt8 = 1
    static let unsignedLength = 73
    public static let encodedLength = 137

    public let author: PublicKey
    public let seq: UInt64
    public let head: EventID
    public let signature: [UInt8]

    public static func sign(seq: UInt64, head: EventID, by identity: Identity) throws -> SignedFeedHead {
        let unsigned = Self.unsignedBytes(author: identity.publicKey, seq: seq, head: head)
        return SignedFeedHead(author: identity.publicKey, seq: seq, head: head, signature: try identity.sign(domain + unsigned))
    }

    init(author: PublicKey, seq: UInt64, head: EventID, signature: [UInt8]) {
        self.author = author
        self.seq = seq
        self.head = head
        self.signature = signature
    }

    static func unsignedBytes(author: PublicKey, seq: UInt64, head: EventID) -> [UInt8] {
        [version] + author.bytes + (0..<8).map { UInt8(truncatingIfNeeded: seq >> (56 - 8 * UInt64($0))) } + head.bytes
    }

    public var encoded: [UInt8] {
        Self.unsignedBytes(author: author, seq: seq, head: head) + signature
    }

    public var isSignatureValid: Bool {
        author.isValidSignature(signature, for: Self.domain + Self.unsignedBytes(author: author, seq: seq, head: head))
    }
}

public enum FeedHeadRecordError: Error, Equatable, Sendable, CustomStringConvertible {
    case notOurNamespace
    case malformedKey
    case malformed(String)
    case unsigned
    case badSignature
    case keyMismatch
    case stale(have: UInt64, offered: UInt64)
    case conflictingHead(seq: UInt64)

    public var description: String {
        switch self {
        case .notOurNamespace: return "record: key is not in the \(DHTNames.feedHeadPrefix) namespace"
        case .malformedKey: return "record: key does not name a 32-byte author key in hex"
        case .malformed(let why): return "record: feed head does not decode: \(why)"
        case .unsigned: return "record: feed head carries no signature"
        case .badSignature: return "record: feed head signature does not verify"
        case .keyMismatch: return "record: feed head is signed by another author than its key names"
        case .stale(let have, let offered): return "record: feed head at seq \(offered) is older than the stored seq \(have)"
        case .conflictingHead(let seq): return "record: a different feed head at the stored seq \(seq)"
        }
    }
}

/// Validator and selector for feed-head records, pure: what PUT_VALUE accepts and which of
/// two valid records a GET_VALUE keeps (the highest sequence).
public enum FeedHeadValidator {
    /// The decoded head if `value` is a correctly signed head of the author `key` names.
    public static func validate(key: [UInt8], value: [UInt8]) throws(FeedHeadRecordError) -> SignedFeedHead {
        let prefix = Array(DHTNames.feedHeadPrefix.utf8)
        guard key.starts(with: prefix) else { throw .notOurNamespace }
        guard let text = String(validating: key[prefix.count...], as: UTF8.self), let author = PublicKey(hex: text), author.hex == text else {
            throw .malformedKey
        }
        let head = try decode(value)
        guard head.author == author else { throw .keyMismatch }
        guard head.isSignatureValid else { throw .badSignature }
        return head
    }

    static func decode(_ value: [UInt8]) throws(FeedHeadRecordError) -> SignedFeedHead {
        guard value.first == SignedFeedHead.version else { throw .malformed("unknown version") }
        if value.count == SignedFeedHead.unsignedLength { throw .unsigned }
        guard value.count == SignedFeedHead.encodedLength else {
            throw .malformed("\(value.count) bytes, expected \(SignedFeedHead.encodedLength)")
        }
        guard let author = try? PublicKey(bytes: Array(value[1..<33])), let head = try? EventID(bytes: Array(value[41..<73])) else {
            throw .malformed("author or head")
        }
        let seq = value[33..<41].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return SignedFeedHead(author: author, seq: seq, head: head, signature: Array(value[73...]))
    }

    /// Whether `offered` may replace `stored`: only a higher sequence wins; the same head again
    /// is accepted (a refresh), a different head at the same sequence is equivocation.
    public static func select(stored: SignedFeedHead?, offered: SignedFeedHead) throws(FeedHeadRecordError) {
        guard let stored else { return }
        if offered.seq < stored.seq { throw .stale(have: stored.seq, offered: offered.seq) }
        if offered.seq == stored.seq && offered.head != stored.head { throw .conflictingHead(seq: stored.seq) }
    }
}
