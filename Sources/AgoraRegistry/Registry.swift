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
    public let writerLock: WriterLockPolicy

    /// Opens an existing home; a missing one gets a message that says to run `agora init`, an
    /// unreadable one the path and the OS reason (exit 7, never "not found").
    public init(home: AgoraHome, writerLock: WriterLockPolicy = WriterLockPolicy()) throws {
        try home.checkReadable()
        guard FileManager.default.fileExists(atPath: home.identityURL.path) else {
            throw RegistryError("no Agora home at \(home.url.path); run `agora init` first", code: .notFound)
        }
        self.home = home
        self.writerLock = writerLock
        self.identity = try Identity.read(from: home.identityURL)
        self.store = try Store(home: home.url, migrations: AgoraMigrations.all, views: RegistryViews())
    }

    public struct InitResult: Sendable {
        public let home: AgoraHome
        public let publicKey: PublicKey
        public let created: Bool
    }

    /// Creates the home, the store and an identity; running it again changes nothing.
    public static func initialize(home: AgoraHome, writerLock: WriterLockPolicy = WriterLockPolicy()) throws -> InitResult {
        try home.checkReadable()
        do {
            try FileManager.default.createDirectory(at: home.url, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw RegistryError("cannot create the Agora home \(home.url.path): \(FileErrorReason.of(error))", code: .storage)
        }
        try home.checkReadable()
        var created = false
        if !FileManager.default.fileExists(atPath: home.identityURL.path) {
            try Identity.generate().write(to: home.identityURL)
            created = true
        }
        let registry = try Registry(home: home, writerLock: writerLock)
        return InitResult(home: home, publicKey: registry.identity.publicKey, created: created)
    }

    /// Milliseconds since 1970, as events carry them (informational; no view depends on it).
    static func now() -> UInt64 {
        UInt64(max(0, Date().timeIntervalSince1970 * 1000))
    }

    func withWriterLock<T>(_ body: () throws -> T) throws -> T {
        try writerLock.holding(home.url.appendingPathComponent("write.lock").path, body)
    }

    /// Signs `body` as the next event of this node's feed and appends it, under the writer lock.
    func appendOwn(_ body: EventBody, storing blobs: [PreparedBlob] = []) throws -> Event {
        let signer = identity
        let head = try store.head(of: signer.publicKey)
        let (seq, overflow) = (head?.seq ?? 0).addingReportingOverflow(1)
        guard !overflow else { throw RegistryError("the feed of \(signer.publicKey.short) is full (seq \(UInt64.max))", code: .storage) }
        let event: Event
        do {
            event = try Event.sign(by: signer, seq: seq, prev: head?.id, timestamp: Self.now(), body: body)
        } catch {
            throw RegistryError("cannot sign the event: \(error)")
        }
        let outcome = try store.append([event], verification: .none, storing: blobs)
        guard case .appended = outcome.first else {
            throw RegistryError("the store refused our own event: \(String(describing: outcome.first))", code: .storage)
        }
        return event
    }
}
