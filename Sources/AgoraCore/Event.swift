import Crypto

/// What an event says happened. Codes are part of the wire format; unknown codes are kept.
public enum EventKind: UInt64, Sendable, CaseIterable, CustomStringConvertible {
    case releasePublished = 1
    case releaseYanked = 2
    case keyRotated = 3
    case scopeTransferred = 4
    case retrievalObserved = 5
    case peerPenalised = 6
    case retrievalsCounted = 7
    case equivocationReported = 8

    public var description: String {
        switch self {
        case .releasePublished: "release-published"
        case .releaseYanked: "release-yanked"
        case .keyRotated: "key-rotated"
        case .scopeTransferred: "scope-transferred"
        case .retrievalObserved: "retrieval-observed"
        case .peerPenalised: "peer-penalised"
        case .retrievalsCounted: "retrievals-counted"
        case .equivocationReported: "equivocation-reported"
        }
    }
}

/// One signed entry in an author's feed.
///
/// The envelope fields are: 1 format, 2 author key, 3 feed sequence (from 1), 4 previous
/// event ID (absent at seq 1), 5 author's clock in ms (informational only: no view
/// depends on it), 6 kind, 7 body, 15 signature. The signature covers every byte before
/// field 15, so unknown fields 8–14 that a future format adds stay authenticated.
public struct Event: Sendable, Hashable {
    public static let format: UInt64 = 1
    /// Events carry metadata, never archives; a bound here bounds every decoder and queue behind it.
    public static let maxSize = 256 * 1024

    public let bytes: [UInt8]
    public let id: EventID
    public let author: PublicKey
    public let seq: UInt64
    public let prev: EventID?
    public let timestamp: UInt64
    public let kindCode: UInt64
    public let body: [UInt8]
    /// Offset of field 15: the bytes before it are what the signature covers.
    public let signedLength: Int

    public var kind: EventKind? { EventKind(rawValue: kindCode) }
    public var signature: ArraySlice<UInt8> { bytes[(bytes.count - 64)...] }
    public var signedBytes: ArraySlice<UInt8> { bytes[..<signedLength] }

    /// Structural and canonical checks only; call `verifySignature()` (or verify a chain head) to authenticate.
    public init(decoding bytes: [UInt8]) throws(EventError) {
        guard bytes.count <= Self.maxSize else { throw EventError.tooLarge(bytes.count) }
        let envelope: EventEnvelope
        do { envelope = try EventEnvelope(bytes) } catch { throw EventError.malformed(error.reason) }
        guard envelope.format == Self.format else { throw EventError.unsupportedFormat(envelope.format) }
        let authorBytes = envelope.author.map { Array(bytes[$0]) } ?? []
        guard envelope.author == nil || authorBytes.count == 32 else {
            throw EventError.malformed("field 2 must be 32 bytes, got \(authorBytes.count)")
        }
        do {
            self.author = try PublicKey(bytes: authorBytes)
        } catch {
            throw EventError.malformed(error.reason)
        }
        self.seq = envelope.seq
        guard seq >= 1 else { throw EventError.malformed("feed sequence must start at 1") }
        if seq == 1 {
            guard envelope.prev == nil else { throw EventError.malformed("first event of a feed has a previous ID") }
            self.prev = nil
        } else {
            do {
                self.prev = try EventID(bytes: envelope.prev.map { Array(bytes[$0]) } ?? [])
            } catch {
                throw EventError.malformed(error.reason)
            }
        }
        self.timestamp = envelope.timestamp
        self.kindCode = envelope.kind
        guard kindCode != 0 else { throw EventError.malformed("missing kind") }
        self.body = envelope.body.map { Array(bytes[$0]) } ?? []
        self.bytes = bytes
        self.signedLength = envelope.signedLength
        self.id = EventID(hashing: bytes)
    }

    public func verifySignature() -> Bool {
        author.isValidSignature(signature, for: signedBytes)
    }

    public func decodedBody() throws(EventError) -> EventBody {
        try EventBody(kind: kindCode, bytes: body)
    }

    /// Builds and signs the next event of `identity`'s feed. Throws `.tooLarge` for a body that
    /// would make the event exceed `maxSize` (which no node would accept), and `.malformed` for
    /// a seq of 0 or a prev that does not fit the seq: callers pass input-derived values.
    public static func sign(
        by identity: Identity, seq: UInt64, prev: EventID?, timestamp: UInt64, body: EventBody
    ) throws(EventError) -> Event {
        guard seq >= 1 else { throw EventError.malformed("feed sequence must start at 1") }
        guard (seq == 1) == (prev == nil) else { throw EventError.malformed("only the first event of a feed lacks a previous ID") }
        let encodedBody = body.encoded()
        // Envelope fields other than the body take well under 256 bytes.
        guard encodedBody.count <= maxSize - 256 else { throw EventError.tooLarge(encodedBody.count + 256) }
        var writer = CanonicalWriter(capacity: 256)
        writer.varint(1, format)
        writer.bytes(2, identity.publicKey.bytes)
        writer.varint(3, seq)
        if let prev { writer.bytes(4, prev.bytes) }
        writer.varint(5, timestamp)
        writer.varint(6, body.kindCode)
        writer.bytes(7, encodedBody)
        let signature: [UInt8]
        do {
            signature = try identity.sign(writer.bytes)
        } catch {
            throw EventError.signingFailed(String(describing: error))
        }
        writer.bytes(15, signature)
        return try Event(decoding: writer.bytes)
    }
}

public enum EventError: Error, Equatable, Sendable, CustomStringConvertible {
    case tooLarge(Int)
    case malformed(String)
    case unsupportedFormat(UInt64)
    case badBody(kind: UInt64, reason: String)
    case signingFailed(String)

    public var description: String {
        switch self {
        case .tooLarge(let size): "event of \(size) bytes exceeds the \(Event.maxSize)-byte limit"
        case .malformed(let reason): "malformed event: \(reason)"
        case .unsupportedFormat(let format): "event format \(format) is newer than this binary understands"
        case .badBody(let kind, let reason): "malformed body for event kind \(kind): \(reason)"
        case .signingFailed(let reason): "cannot sign the event: \(reason)"
        }
    }
}
