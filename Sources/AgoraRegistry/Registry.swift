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
    /// The new key, when opening finished a rotation a killed process had committed.
    public let completedRotation: PublicKey?

    /// Opens an existing home; a missing one gets a message that says to run `agora init`, an
    /// unreadable one the path and the OS reason (exit 7, never "not found"). A key rotation a
    /// killed process left half done is finished or rolled back first. `notice` hears of a
    /// views rebuild the open makes (`StoreNotice`).
    public init(home: AgoraHome, writerLock: WriterLockPolicy = WriterLockPolicy(), notice: (StoreNotice) -> Void = { _ in }) throws {
        try home.checkReadable()
        guard FileManager.default.fileExists(atPath: home.identityURL.path) else {
            throw RegistryError("no Agora home at \(home.url.path); run `agora init` first", code: .notFound)
        }
        guard access(home.identityURL.path, R_OK) == 0 else {
            throw RegistryError("cannot read \(home.identityURL.path): \(String(cString: strerror(errno)))", code: .storage)
        }
        self.home = home
        self.writerLock = writerLock
        self.store = try Store(home: home.url, migrations: AgoraMigrations.all, views: RegistryViews(), notice: notice)
        if FileManager.default.fileExists(atPath: home.pendingIdentityURL.path) {
            let store = store
            completedRotation = try home.withWriterLock(writerLock) { try Self.recoverRotation(home: home, store: store) }
        } else {
            completedRotation = nil
        }
        self.identity = try KeyFiles.read(home.identityURL)
    }

    public struct InitResult: Sendable {
        public let home: AgoraHome
        public let publicKey: PublicKey
        public let created: Bool
    }

    /// Creates the home (0700), the store and a publisher key; running it again changes
    /// nothing. Of several concurrent runs exactly one creates the key; the others report it
    /// as already there.
    public static func initialize(home: AgoraHome, writerLock: WriterLockPolicy = WriterLockPolicy()) throws -> InitResult {
        try home.checkReadable()
        try HomeFiles.makePrivateDirectory(home.url)
        try home.checkReadable()
        let created = try home.withWriterLock(writerLock) {
            guard !FileManager.default.fileExists(atPath: home.identityURL.path) else { return false }
            let identity = Identity.generate()
            // The record first: a kill before the key exists leaves a record the next init
            // overwrites; a key never exists without its record.
            try FeedHeadRecord(key: identity.publicKey, seq: 0, id: nil).write(home: home)
            CrashPoint.reach("init.feed-head-written")
            return try KeyFiles.create(identity, at: home.identityURL)
        }
        let registry = try Registry(home: home, writerLock: writerLock)
        return InitResult(home: home, publicKey: registry.identity.publicKey, created: created)
    }

    /// Milliseconds since 1970, as events carry them (informational; no view depends on it).
    static func now() -> UInt64 {
        UInt64(max(0, Date().timeIntervalSince1970 * 1000))
    }

    func withWriterLock<T>(_ body: () throws -> T) throws -> T {
        try home.withWriterLock(writerLock, body)
    }

    /// Signs `body` as the next event of this node's feed and appends it, under the writer
    /// lock, then records the new head beside the key (`FeedHeadRecord`).
    func appendOwn(_ body: EventBody, storing blobs: [PreparedBlob] = []) throws -> Event {
        let signer = identity
        let head = try verifiedOwnHead()
        let (seq, overflow) = (head?.seq ?? 0).addingReportingOverflow(1)
        guard !overflow else { throw RegistryError("the feed of \(signer.publicKey.short) is full (seq \(UInt64.max))", code: .storage) }
        let event: Event
        do {
            event = try Event.sign(by: signer, seq: seq, prev: head?.id, timestamp: Self.now(), body: body)
        } catch {
            throw RegistryError("cannot sign the event: \(error)")
        }
        // Own archives are pinned with the release: the cache never evicts them.
        let outcome = try store.append([event], verification: .none, storing: blobs.map { $0.pinned(by: .published) })
        guard case .appended = outcome.first else {
            throw RegistryError("the store refused our own event: \(String(describing: outcome.first))", code: .storage)
        }
        CrashPoint.reach("append.committed")
        try FeedHeadRecord(key: signer.publicKey, seq: event.seq, id: event.id).write(home: home)
        return event
    }
}
