import AgoraCore
import AgoraStore
import Foundation

/// The head of this node's own feed, kept beside the key (`feed.head`), so a node knows how
/// far it has signed even when its store is wiped, replaced or restored from an old copy.
///
/// Written after every commit of an own event. The store is authoritative when it *contains*
/// the recorded head (the same event ID at the recorded seq): a kill between the commit and
/// the record leaves the store one event ahead, which is fine. A store that lacks the recorded
/// head is refused for signing: its next seq would already be taken by an event other nodes
/// may hold, and signing it would be equivocation.
struct FeedHeadRecord: Equatable {
    var key: PublicKey
    var seq: UInt64
    /// nil at seq 0 (nothing signed yet).
    var id: EventID?

    private static let header = "agora-feed-head-v1"

    var fileContents: [UInt8] {
        Array("\(Self.header)\n\(key.hex)\n\(seq)\n\(id?.hex ?? "-")\n".utf8)
    }

    init(key: PublicKey, seq: UInt64, id: EventID?) {
        self.key = key
        self.seq = seq
        self.id = id
    }

    init(key: PublicKey, head: FeedHead?) {
        self.init(key: key, seq: head?.seq ?? 0, id: head?.id)
    }

    /// nil when the home has no record (a home from before records existed).
    static func read(home: AgoraHome) throws -> FeedHeadRecord? {
        try read(at: home.feedHeadURL, repair: "see `agora keys --adopt-store-head`")
    }

    /// `repair` ends the error for a malformed file: what the operator can do about it.
    static func read(at url: URL, repair: String) throws -> FeedHeadRecord? {
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        let data = try Data(contentsOf: url, options: .uncached)
        let lines = String(decoding: data.prefix(512), as: UTF8.self).split(separator: "\n").map(String.init)
        guard data.count <= 512, lines.count == 4, lines[0] == header,
              let key = PublicKey(hex: lines[1]), let seq = UInt64(lines[2])
        else { throw RegistryError("\(url.path) is malformed; \(repair)", code: .integrity) }
        let id = lines[3] == "-" ? nil : EventID(hex: lines[3])
        guard (seq == 0) == (id == nil), lines[3] == "-" || id != nil else {
            throw RegistryError("\(url.path) is malformed; \(repair)", code: .integrity)
        }
        return FeedHeadRecord(key: key, seq: seq, id: id)
    }

    func write(home: AgoraHome) throws {
        try write(to: home.feedHeadURL)
    }

    func write(to url: URL) throws {
        try HomeFiles.write(fileContents, to: url, placement: .replace)
    }

    /// Whether a store whose feed of this key ends at `storeHead` holds the recorded head
    /// (`entry` reads the store's event ID at a seq). A store ahead of the record is fine: a
    /// kill between a commit and the record's write leaves it so.
    func isHeld(storeHead: FeedHead?, entry: (UInt64) throws -> EventID?) rethrows -> Bool {
        guard seq > 0 else { return true }
        guard let storeHead, storeHead.seq >= seq else { return false }
        return try entry(seq) == id
    }
}

extension Registry {
    /// The head to sign after, once the store is shown to hold the whole feed as recorded.
    func verifiedOwnHead() throws -> FeedHead? {
        let key = identity.publicKey
        let onDisk = try KeyFiles.read(home.identityURL).publicKey
        guard onDisk == key else {
            throw RegistryError(
                "the publisher key changed to \(onDisk.short) while this command waited for the lock "
                    + "(another process rotated it); nothing was signed, run the command again",
                code: .conflict)
        }
        let stored = try store.head(of: key)
        guard let record = try FeedHeadRecord.read(home: home) else {
            // A home from before the record existed: its store is the only account of the feed.
            guard let stored else {
                throw RegistryError(
                    "\(home.feedHeadURL.path) is missing and the store holds no event of key \(key.short): "
                        + "if this key signed anything before (elsewhere, or in a store since wiped), signing now would "
                        + "reuse its sequence numbers. Sync the key's feed back from peers first; if the key has "
                        + "never signed anything, run `agora keys --adopt-store-head`.",
                    code: .integrity)
            }
            try FeedHeadRecord(key: key, head: stored).write(home: home)
            return stored
        }
        guard record.key == key else {
            throw RegistryError(
                "\(home.feedHeadURL.path) records the feed of key \(record.key.short), but the publisher key is \(key.short): "
                    + "the key file was replaced. Restore the key that record names, or run `agora keys --adopt-store-head` "
                    + "if this store holds the whole feed of \(key.short).",
                code: .integrity)
        }
        guard try record.isHeld(storeHead: stored, entry: { try store.events(author: key, from: $0, to: $0).first?.id }) else {
            throw RegistryError(
                "this store lacks the feed of key \(key.short) up to seq \(record.seq) (event \(record.id?.hex.prefix(16) ?? "-")), "
                    + "which this node signed: the store was wiped, replaced or restored from an older copy. Signing now "
                    + "would reuse a sequence number (equivocation). Sync the feed back from peers, or restore the store; "
                    + "`agora keys --adopt-store-head` overrides this only if you are sure no event past seq "
                    + "\(stored?.seq ?? 0) ever left this machine.",
                code: .integrity)
        }
        return stored
    }

    /// The operator's override: records the store's current head as this key's feed head.
    public func adoptStoreHead() throws -> UInt64 {
        try withWriterLock {
            let head = try store.head(of: identity.publicKey)
            try FeedHeadRecord(key: identity.publicKey, head: head).write(home: home)
            return head?.seq ?? 0
        }
    }
}
