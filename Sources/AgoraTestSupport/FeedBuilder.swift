import AgoraCore
import Foundation

/// SplitMix64: a tiny seeded generator so shuffles and samples repeat exactly.
public struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    public init(seed: UInt64) {
        state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Builds a hash-chained feed for one identity.
public struct FeedBuilder {
    public let identity: Identity
    public private(set) var events: [Event] = []

    public init(seed: UInt8) {
        identity = try! Identity(seed: [UInt8](repeating: seed, count: 32))
    }

    public var key: PublicKey { identity.publicKey }

    @discardableResult
    public mutating func append(_ body: EventBody) -> Event {
        let event = Event.sign(
            by: identity, seq: UInt64(events.count + 1), prev: events.last?.id, timestamp: UInt64(events.count + 1), body: body)
        events.append(event)
        return event
    }

    @discardableResult
    public mutating func publish(_ scope: String, _ name: String, _ version: String, digestByte: UInt8 = 7, manifest: Manifest? = nil) -> Event {
        let manifest = manifest ?? Manifest(scope: scope, name: name, version: version, description: "\(name) package")
        return append(.releasePublished(ReleasePublished(
            scope: scope, name: name, version: version, manifest: manifest.canonicalJSON(),
            archiveDigest: [UInt8](repeating: digestByte, count: 32), archiveSize: 100 + UInt64(digestByte))))
    }

    @discardableResult
    public mutating func yank(_ scope: String, _ name: String, _ version: String, reason: String) -> Event {
        append(.releaseYanked(ReleaseYanked(scope: scope, name: name, version: version, reason: reason)))
    }

    @discardableResult
    public mutating func rotate(to new: Identity, countersignedBy signer: Identity? = nil) -> Event {
        let signature = (signer ?? new).sign(KeyRotated.countersignedMessage(old: key, new: new.publicKey))
        return append(.keyRotated(KeyRotated(newKey: new.publicKey, newKeySignature: signature)))
    }

    @discardableResult
    public mutating func transfer(_ scope: String, to owner: PublicKey) -> Event {
        append(.scopeTransferred(ScopeTransferred(scope: scope, newOwner: owner)))
    }
}
