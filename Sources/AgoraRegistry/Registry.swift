import AgoraCore
import AgoraMigrations
import AgoraStore
import AgoraViews
import Foundation

/// A node's local registry: its identity plus its store, and the operations people run on them.
///
/// Every mutating operation holds an exclusive lock on `$AGORA_HOME/write.lock` from reading the
/// feed head to committing, so two `agora` processes can never sign two different events with
/// the same sequence number (which every other node would rightly treat as equivocation).
public final class Registry: Sendable {
    public let home: AgoraHome
    public let store: Store
    public let identity: Identity

    /// Opens an existing home; a missing one gets a message that says to run `agora init`.
    public init(home: AgoraHome) throws {
        guard FileManager.default.fileExists(atPath: home.identityURL.path) else {
            throw RegistryError("no Agora home at \(home.url.path); run `agora init` first", code: .notFound)
        }
        self.home = home
        self.identity = try Identity.read(from: home.identityURL)
        self.store = try Store(home: home.url, migrations: AgoraMigrations.all, views: RegistryViews())
    }

    public struct InitResult: Sendable {
        public let home: AgoraHome
        public let publicKey: PublicKey
        public let created: Bool
    }

    /// Creates the home, the store and an identity; running it again changes nothing.
    public static func initialize(home: AgoraHome) throws -> InitResult {
        try FileManager.default.createDirectory(at: home.url, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        var created = false
        if !FileManager.default.fileExists(atPath: home.identityURL.path) {
            try Identity.generate().write(to: home.identityURL)
            created = true
        }
        let registry = try Registry(home: home)
        return InitResult(home: home, publicKey: registry.identity.publicKey, created: created)
    }

    /// Milliseconds since 1970, as events carry them (informational; no view depends on it).
    static func now() -> UInt64 {
        UInt64(max(0, Date().timeIntervalSince1970 * 1000))
    }

    func withWriterLock<T>(_ body: () throws -> T) throws -> T {
        let path = home.url.appendingPathComponent("write.lock").path
        let descriptor = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw RegistryError("cannot open \(path): \(String(cString: strerror(errno)))", code: .storage)
        }
        defer { close(descriptor) }
        guard flock(descriptor, LOCK_EX) == 0 else {
            throw RegistryError("cannot lock \(path): \(String(cString: strerror(errno)))", code: .storage)
        }
        defer { flock(descriptor, LOCK_UN) }
        return try body()
    }

    /// Signs `body` as the next event of this node's feed and appends it, under the writer lock.
    func appendOwn(_ body: EventBody, storing blobs: [PreparedBlob] = []) throws -> Event {
        let signer = identity
        let head = try store.head(of: signer.publicKey)
        let event = Event.sign(by: signer, seq: (head?.seq ?? 0) + 1, prev: head?.id, timestamp: Self.now(), body: body)
        let outcome = try store.append([event], verification: .none, storing: blobs)
        guard case .appended = outcome.first else {
            throw RegistryError("the store refused our own event: \(String(describing: outcome.first))", code: .storage)
        }
        return event
    }
}
