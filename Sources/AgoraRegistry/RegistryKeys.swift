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
    /// Rotates the publisher key: the old key signs a rotation naming the new one, the new key
    /// countersigns. Returns the registry reopened with the new key. The node's libp2p key
    /// (`node.key`) is not touched, so the PeerID stays the same.
    ///
    /// Steps, each durable before the next, so a kill anywhere is finished or undone by the
    /// next command (`recoverRotation`) and a retry never stacks a second rotation:
    /// 1. the new key is written and fsynced to `identity.next` (0600 from the first byte);
    /// 2. the rotation event commits (and the feed head record follows it);
    /// 3. the old key is kept as `identity.<short>.retired`, the feed head record is reset for
    ///    the new key, and `identity.next` is renamed over `identity.key`.
    /// Until step 2 commits, the rotation does not exist and `identity.next` is discarded;
    /// from then on the new key is the only key that may sign, and recovery completes step 3.
    public func rotateKey() throws -> (Registry, RotationResult) {
        let result: RotationResult = try withWriterLock {
            _ = try verifiedOwnHead()
            let next = Identity.generate()
            guard try KeyFiles.create(next, at: home.pendingIdentityURL) else {
                throw RegistryError("\(home.pendingIdentityURL.path) appeared during a rotation", code: .storage)
            }
            CrashPoint.reach("rotate.key-written")
            let body = KeyRotated(
                newKey: next.publicKey,
                newKeySignature: try next.sign(KeyRotated.countersignedMessage(old: identity.publicKey, new: next.publicKey)))
            let event = try appendOwn(.keyRotated(body))
            CrashPoint.reach("rotate.committed")
            try Self.switchKey(home: home, from: identity, to: next)
            return RotationResult(
                oldKey: identity.publicKey.hex, newKey: next.publicKey.hex, event: event.id.hex,
                retiredKeyFile: home.retiredIdentityURL(of: identity.publicKey).path)
        }
        return (try Registry(home: home, writerLock: writerLock), result)
    }

    /// Finishes or rolls back a rotation a killed process left: `identity.next` exists. If the
    /// store's head of the current key's feed is the rotation to that key, or `feed.head`
    /// already names that key, the rotation committed and is completed; if the store holds the whole recorded feed without it, it
    /// never committed and the pending key is discarded. Otherwise (the store lacks the feed)
    /// nothing is touched and the signing check explains the recovery.
    /// Returns the new key when it completed a rotation.
    @discardableResult
    static func recoverRotation(home: AgoraHome, store: Store) throws -> PublicKey? {
        guard FileManager.default.fileExists(atPath: home.pendingIdentityURL.path) else { return nil }
        let current = try KeyFiles.read(home.identityURL)
        let next = try KeyFiles.read(home.pendingIdentityURL)
        let record = try FeedHeadRecord.read(home: home)
        // The record names the new key only once the rotation committed (step 3), so that
        // proves the commit even if the store has since lost it.
        let recordedSwitch = record?.key == next.publicKey
        if let head = try store.head(of: current.publicKey), let event = try store.event(id: head.id),
           case .keyRotated(let rotation)? = try? event.decodedBody(), rotation.newKey == next.publicKey {
            try switchKey(home: home, from: current, to: next)
            return next.publicKey
        } else if recordedSwitch {
            try switchKey(home: home, from: current, to: next)
            return next.publicKey
        }
        guard let record, record.key == current.publicKey,
              try record.seq == 0 || store.events(author: current.publicKey, from: record.seq, to: record.seq).first?.id == record.id
        else { return nil }
        unlink(home.pendingIdentityURL.path)
        try HomeFiles.syncDirectory(home.url)
        return nil
    }

    /// Step 3 of a rotation; idempotent, so recovery can run it again after a kill.
    private static func switchKey(home: AgoraHome, from old: Identity, to next: Identity) throws {
        _ = try KeyFiles.create(old, at: home.retiredIdentityURL(of: old.publicKey))
        CrashPoint.reach("rotate.retired")
        try FeedHeadRecord(key: next.publicKey, seq: 0, id: nil).write(home: home)
        CrashPoint.reach("rotate.head-switched")
        guard rename(home.pendingIdentityURL.path, home.identityURL.path) == 0 else {
            throw HomeFiles.failure("cannot install the new key at", home.identityURL)
        }
        try HomeFiles.syncDirectory(home.url)
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
        try withWriterLock { try store.pin(key, for: scope) }
        guard try store.head(of: key) != nil else {
            return ["key \(key.hex) has signed nothing this node has seen; check it is the key you meant (a typo pins a key nobody holds)"]
        }
        let principal = try store.principal(of: key)
        let claimants = try store.scopeState(PackageIdentity.asciiLowercased(scope))?.claimants.map(\.principal) ?? []
        guard claimants.contains(principal) else {
            return ["key \(key.short) has not published anything in scope \(scope) on this node"]
        }
        return []
    }

    /// Removes the pin of `scope`; false when it had none. A scope no publish could use is
    /// refused as `trust` refuses it, rather than reported as merely not pinned.
    public func untrust(scope: String) throws -> Bool {
        do {
            try PackageIdentity.validateScope(scope)
        } catch {
            throw RegistryError("\(error)")
        }
        return try withWriterLock { try store.unpin(scope: scope) }
    }

    public func pins() throws -> [(scope: String, key: PublicKey)] {
        try store.pins()
    }
}
