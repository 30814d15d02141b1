import AgoraCore
import AgoraStore
import AgoraViews
import Foundation

public struct RotationResult: Sendable, Encodable {
    public let oldKey: String
    public let newKey: String
    public let event: String
    public let retiredKeyFile: String
}

extension Registry {
    /// Rotates the node's key: the old key signs a rotation naming the new one, the new key
    /// countersigns, and the old key file is kept beside it; `identity.key` is replaced by a rename,
    /// so at every instant it holds one whole key.
    /// Returns the registry reopened with the new identity.
    public func rotateKey() throws -> (Registry, RotationResult) {
        let result: RotationResult = try withWriterLock {
            let next = Identity.generate()
            let body = KeyRotated(
                newKey: next.publicKey,
                newKeySignature: next.sign(KeyRotated.countersignedMessage(old: identity.publicKey, new: next.publicKey)))
            let event = try appendOwn(.keyRotated(body))
            let retired = home.url.appendingPathComponent("identity.\(identity.publicKey.short).retired")
            let staged = home.url.appendingPathComponent("identity.next")
            try next.write(to: staged)
            try FileManager.default.linkItem(at: home.identityURL, to: retired)
            guard rename(staged.path, home.identityURL.path) == 0 else {
                throw RegistryError("cannot install the new key at \(home.identityURL.path): \(String(cString: strerror(errno)))", code: .storage)
            }
            return RotationResult(oldKey: identity.publicKey.hex, newKey: next.publicKey.hex, event: event.id.hex, retiredKeyFile: retired.path)
        }
        return (try Registry(home: home, writerLock: writerLock), result)
    }

    /// Pins `key` as the trusted publisher of `scope` on this node (local, never replicated).
    /// Returns warnings when this node has never seen the key sign anything, or never seen it
    /// claim the scope: a pin on a mistyped key would silently hide every real release.
    @discardableResult
    public func trust(scope: String, key: PublicKey) throws -> [String] {
        do {
            try PackageIdentity.validateScope(scope)
        } catch {
            throw RegistryError("\(error)")
        }
        try withWriterLock { try store.pin(key, for: scope.lowercased()) }
        guard try store.head(of: key) != nil else {
            return ["key \(key.hex) has signed nothing this node has seen; check it is the key you meant (a typo pins a key nobody holds)"]
        }
        let principal = try store.principal(of: key)
        let claimants = try store.scopeState(scope.lowercased())?.claimants.map(\.principal) ?? []
        guard claimants.contains(principal) else {
            return ["key \(key.short) has not published anything in scope \(scope) on this node"]
        }
        return []
    }

    public func untrust(scope: String) throws -> Bool {
        try withWriterLock { try store.unpin(scope: scope.lowercased()) }
    }

    public func pins() throws -> [(scope: String, key: PublicKey)] {
        try store.pins()
    }
}
