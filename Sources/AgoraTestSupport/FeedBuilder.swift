import AgoraCore
import Foundation

/// Builds a hash-chained feed for one identity.
///
/// Test and benchmark support only: it never sees outside input. Its `try!`s cannot fire for
/// the inputs it makes (a 32-byte seed, seq counting from 1 with the previous ID, bodies a test
/// writes); a test that passes an oversize body gets a trap naming the error, which is a
/// failing test, not a crash of anything users run.
public struct FeedBuilder {
    public let identity: Identity
    public private(set) var events: [Event] = []

    public init(seed: UInt8) {
        identity = try! Identity(seed: [UInt8](repeating: seed, count: 32))
    }

    public var key: PublicKey { identity.publicKey }

    /// `timestamp` (milliseconds) defaults to the seq, which keeps generated feeds reproducible.
    @discardableResult
    public mutating func append(_ body: EventBody, timestamp: UInt64? = nil) -> Event {
        let seq = UInt64(events.count + 1)
        let event = try! Event.sign(by: identity, seq: seq, prev: events.last?.id, timestamp: timestamp ?? seq, body: body)
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
        let signature = try! (signer ?? new).sign(KeyRotated.countersignedMessage(old: key, new: new.publicKey))
        return append(.keyRotated(KeyRotated(newKey: new.publicKey, newKeySignature: signature)))
    }

    @discardableResult
    public mutating func transfer(_ scope: String, to owner: PublicKey) -> Event {
        append(.scopeTransferred(ScopeTransferred(scope: scope, newOwner: owner)))
    }
}
