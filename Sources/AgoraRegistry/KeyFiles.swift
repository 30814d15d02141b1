import AgoraCore
import Foundation

/// Reading and writing ed25519 key files in the home.
public enum KeyFiles {
    /// Key files are a few dozen bytes; anything longer is not one, and is not read whole.
    static let maxSize = 256

    static func read(_ url: URL) throws -> Identity {
        guard let handle = FileHandle(forReadingAtPath: url.path) else {
            throw RegistryError("cannot read key file \(url.path): \(String(cString: strerror(errno)))", code: .storage)
        }
        defer { try? handle.close() }
        let data: Data
        do {
            data = try handle.read(upToCount: maxSize + 1) ?? Data()
        } catch {
            throw RegistryError("cannot read key file \(url.path): \(error.localizedDescription)", code: .storage)
        }
        do {
            return try Identity(fileContents: Array(data), source: url.path)
        } catch {
            throw RegistryError("\(error)", code: .integrity)
        }
    }

    /// Creates a key file that did not exist; false when another process created it first.
    static func create(_ identity: Identity, at url: URL) throws -> Bool {
        try HomeFiles.write(identity.fileContents, to: url, placement: .createOnly)
    }

    /// The publisher key (`identity.key`), nil in a home that has none: `agora serve` signs
    /// this key's feed head for the DHT.
    public static func publisherKey(home: AgoraHome) throws -> Identity? {
        FileManager.default.fileExists(atPath: home.identityURL.path) ? try read(home.identityURL) : nil
    }

    /// The node's libp2p key, separate from the publisher key so a rotation keeps the PeerID.
    /// A home from before the split gets `node.key` as a copy of `identity.key`: the PeerID
    /// its peers already know stays the same. Without `create`, a home with neither key
    /// yields nil.
    public static func nodeKey(home: AgoraHome, create: Bool) throws -> Identity? {
        if FileManager.default.fileExists(atPath: home.nodeKeyURL.path) { return try read(home.nodeKeyURL) }
        let legacy = FileManager.default.fileExists(atPath: home.identityURL.path)
        guard create || legacy else { return nil }
        try HomeFiles.makePrivateDirectory(home.url)
        return try home.withWriterLock(WriterLockPolicy()) {
            if !FileManager.default.fileExists(atPath: home.nodeKeyURL.path) {
                let key = legacy ? try read(home.identityURL) : Identity.generate()
                _ = try self.create(key, at: home.nodeKeyURL)
            }
            return try read(home.nodeKeyURL)
        }
    }
}
