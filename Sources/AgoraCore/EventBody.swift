/// The typed content of an event. Field numbers are wire format: add, never renumber.
public enum EventBody: Sendable, Hashable {
    case releasePublished(ReleasePublished)
    case releaseYanked(ReleaseYanked)
    case keyRotated(KeyRotated)
    case scopeTransferred(ScopeTransferred)
    case retrievalObserved(RetrievalObserved)
    case peerPenalised(PeerPenalised)
    case retrievalsCounted(RetrievalsCounted)
    case equivocationReported(EquivocationReport)
    /// A kind this binary does not know; kept and relayed, ignored by the views.
    case unknown(kind: UInt64, bytes: [UInt8])

    public var kindCode: UInt64 {
        switch self {
        case .releasePublished: EventKind.releasePublished.rawValue
        case .releaseYanked: EventKind.releaseYanked.rawValue
        case .keyRotated: EventKind.keyRotated.rawValue
        case .scopeTransferred: EventKind.scopeTransferred.rawValue
        case .retrievalObserved: EventKind.retrievalObserved.rawValue
        case .peerPenalised: EventKind.peerPenalised.rawValue
        case .retrievalsCounted: EventKind.retrievalsCounted.rawValue
        case .equivocationReported: EventKind.equivocationReported.rawValue
        case .unknown(let kind, _): kind
        }
    }

    public init(kind: UInt64, bytes: [UInt8]) throws(EventError) {
        do {
            let reader = try CanonicalReader(bytes[...])
            switch EventKind(rawValue: kind) {
            case .releasePublished: self = .releasePublished(try ReleasePublished(reader))
            case .releaseYanked: self = .releaseYanked(try ReleaseYanked(reader))
            case .keyRotated: self = .keyRotated(try KeyRotated(reader))
            case .scopeTransferred: self = .scopeTransferred(try ScopeTransferred(reader))
            case .retrievalObserved: self = .retrievalObserved(try RetrievalObserved(reader))
            case .peerPenalised: self = .peerPenalised(try PeerPenalised(reader))
            case .retrievalsCounted: self = .retrievalsCounted(try RetrievalsCounted(reader))
            case .equivocationReported: self = .equivocationReported(try EquivocationReport(reader))
            case nil: self = .unknown(kind: kind, bytes: bytes)
            }
        } catch {
            throw EventError.badBody(kind: kind, reason: error.reason)
        }
    }

    public func encoded() -> [UInt8] {
        var writer = CanonicalWriter()
        switch self {
        case .releasePublished(let body):
            writer.string(1, body.scope)
            writer.string(2, body.name)
            writer.string(3, body.version)
            writer.bytes(4, body.manifest)
            writer.bytes(5, body.archiveDigest)
            writer.varint(6, body.archiveSize)
            writer.string(7, body.signatureFormat)
            writer.bytes(8, body.archiveSignature)
            writer.bytes(9, body.metadataSignature)
        case .releaseYanked(let body):
            writer.string(1, body.scope)
            writer.string(2, body.name)
            writer.string(3, body.version)
            writer.string(4, body.reason)
        case .keyRotated(let body):
            writer.bytes(1, body.newKey.bytes)
            writer.bytes(2, body.newKeySignature)
        case .scopeTransferred(let body):
            writer.string(1, body.scope)
            writer.bytes(2, body.newOwner.bytes)
        case .retrievalObserved(let body):
            writer.bytes(1, body.peer)
            writer.bytes(2, body.digest)
            writer.varint(3, body.outcome.rawValue)
            writer.varint(4, body.bytes)
            writer.varint(5, body.latencyMicros)
        case .peerPenalised(let body):
            writer.bytes(1, body.peer)
            writer.string(2, body.reason)
            writer.bytes(3, body.evidence)
        case .retrievalsCounted(let body):
            body.encode(into: &writer)
        case .equivocationReported(let body):
            writer.bytes(1, body.first)
            writer.bytes(2, body.second)
        case .unknown(_, let bytes):
            return bytes
        }
        return writer.bytes
    }
}

/// A release: the archive's digest and size are what every installer checks the bytes against.
public struct ReleasePublished: Sendable, Hashable {
    public var scope: String
    public var name: String
    public var version: String
    /// The manifest in canonical JSON (`Manifest.canonicalJSON()`).
    public var manifest: [UInt8]
    public var archiveDigest: [UInt8]
    public var archiveSize: UInt64
    /// SwiftPM's own package signature (`package-registry publish --signing-identity`), kept
    /// as the client sent it so every node serves it back: its format (`cms-1.0.0`), the
    /// signature of the archive and of the metadata JSON. Empty for an unsigned release.
    public var signatureFormat: String
    public var archiveSignature: [UInt8]
    public var metadataSignature: [UInt8]

    public init(
        scope: String, name: String, version: String, manifest: [UInt8], archiveDigest: [UInt8], archiveSize: UInt64,
        signatureFormat: String = "", archiveSignature: [UInt8] = [], metadataSignature: [UInt8] = []
    ) {
        self.scope = scope
        self.name = name
        self.version = version
        self.manifest = manifest
        self.archiveDigest = archiveDigest
        self.archiveSize = archiveSize
        self.signatureFormat = signatureFormat
        self.archiveSignature = archiveSignature
        self.metadataSignature = metadataSignature
    }

    init(_ reader: CanonicalReader) throws(CanonicalDecodeError) {
        scope = try reader.string(1)
        name = try reader.string(2)
        version = try reader.string(3)
        manifest = try reader.bytes(4)
        archiveDigest = try reader.bytes(5, exactly: 32)
        archiveSize = try reader.uint(6)
        signatureFormat = try reader.string(7)
        archiveSignature = try reader.bytes(8)
        metadataSignature = try reader.bytes(9)
        guard !scope.isEmpty, !name.isEmpty, !version.isEmpty else { throw CanonicalDecodeError("release lacks scope, name or version") }
    }
}

public struct ReleaseYanked: Sendable, Hashable {
    /// Longest reason (UTF-8 bytes) a yank is signed with: a sentence or two, printed by every
    /// `info` and `log`, not a document.
    public static let maxReasonLength = 1024

    public var scope: String
    public var name: String
    public var version: String
    public var reason: String

    public init(scope: String, name: String, version: String, reason: String) {
        self.scope = scope
        self.name = name
        self.version = version
        self.reason = reason
    }

    init(_ reader: CanonicalReader) throws(CanonicalDecodeError) {
        scope = try reader.string(1)
        name = try reader.string(2)
        version = try reader.string(3)
        reason = try reader.string(4)
        guard !scope.isEmpty, !name.isEmpty, !version.isEmpty else { throw CanonicalDecodeError("yank lacks scope, name or version") }
    }
}

/// Signed by the old key in its own feed; the new key countersigns so nobody can rotate onto a key they do not hold.
public struct KeyRotated: Sendable, Hashable {
    public var newKey: PublicKey
    public var newKeySignature: [UInt8]

    public init(newKey: PublicKey, newKeySignature: [UInt8]) {
        self.newKey = newKey
        self.newKeySignature = newKeySignature
    }

    /// What the new key signs: a domain separator, then old and new keys.
    public static func countersignedMessage(old: PublicKey, new: PublicKey) -> [UInt8] {
        Array("agora-key-rotation-v1:".utf8) + old.bytes + new.bytes
    }

    init(_ reader: CanonicalReader) throws(CanonicalDecodeError) {
        newKey = try PublicKey(bytes: reader.bytes(1, exactly: 32))
        newKeySignature = try reader.bytes(2, exactly: 64)
    }
}

public struct ScopeTransferred: Sendable, Hashable {
    public var scope: String
    public var newOwner: PublicKey

    public init(scope: String, newOwner: PublicKey) {
        self.scope = scope
        self.newOwner = newOwner
    }

    init(_ reader: CanonicalReader) throws(CanonicalDecodeError) {
        scope = try reader.string(1)
        newOwner = try PublicKey(bytes: reader.bytes(2, exactly: 32))
        guard !scope.isEmpty else { throw CanonicalDecodeError("transfer lacks a scope") }
    }
}

public struct RetrievalObserved: Sendable, Hashable {
    public enum Outcome: UInt64, Sendable {
        case success = 0
        case digestMismatch = 1
        case timeout = 2
        case refused = 3
        case other = 4
    }

    public var peer: [UInt8]
    public var digest: [UInt8]
    public var outcome: Outcome
    public var bytes: UInt64
    public var latencyMicros: UInt64

    public init(peer: [UInt8], digest: [UInt8], outcome: Outcome, bytes: UInt64, latencyMicros: UInt64) {
        self.peer = peer
        self.digest = digest
        self.outcome = outcome
        self.bytes = bytes
        self.latencyMicros = latencyMicros
    }

    init(_ reader: CanonicalReader) throws(CanonicalDecodeError) {
        peer = try reader.bytes(1)
        digest = try reader.bytes(2)
        outcome = Outcome(rawValue: try reader.uint(3)) ?? .other
        bytes = try reader.uint(4)
        latencyMicros = try reader.uint(5)
        guard !peer.isEmpty else { throw CanonicalDecodeError("retrieval lacks a peer") }
    }
}

public struct PeerPenalised: Sendable, Hashable {
    public var peer: [UInt8]
    public var reason: String
    public var evidence: [UInt8]

    public init(peer: [UInt8], reason: String, evidence: [UInt8]) {
        self.peer = peer
        self.reason = reason
        self.evidence = evidence
    }

    init(_ reader: CanonicalReader) throws(CanonicalDecodeError) {
        peer = try reader.bytes(1)
        reason = try reader.string(2)
        evidence = try reader.bytes(3)
        guard !peer.isEmpty else { throw CanonicalDecodeError("penalty lacks a peer") }
    }
}
