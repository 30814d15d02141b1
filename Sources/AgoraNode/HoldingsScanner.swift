import AgoraCore
import AgoraDHT
import AgoraStore

/// What this node holds, as DHT provider keys, learnt from the log one event at a time: every
/// author's feed (the store holds it as soon as one event arrived) and every package with at
/// least one archive in the store. Each key is handed out once; the DHT node republishes it.
struct HoldingsScanner {
    private var announced: Set<[UInt8]> = []
    private var fresh: [[UInt8]] = []
    /// Package key → archive digests not in the store when last checked, oldest first.
    private var pending: [(key: [UInt8], digests: [BlobDigest])] = []
    let maxPending: Int

    init(maxPending: Int) {
        self.maxPending = maxPending
    }

    mutating func note(_ event: Event) {
        offer(DHTNames.feedProviderKey(author: event.author))
        guard event.kind == .releasePublished, case .releasePublished(let release)? = try? event.decodedBody(),
              let digest = BlobDigest(bytes: release.archiveDigest)
        else { return }
        let key = DHTNames.packageProviderKey(scope: release.scope, name: release.name)
        guard !announced.contains(key) else { return }
        if let index = pending.firstIndex(where: { $0.key == key }) {
            // The newest archives of a package are the likeliest to be held; 64 bound the list.
            pending[index].digests = Array((pending[index].digests + [digest]).suffix(64))
        } else {
            pending.append((key, [digest]))
            if pending.count > maxPending { pending.removeFirst(pending.count - maxPending) }
        }
    }

    /// Keys not handed out before: new feeds, and packages one of whose archives `holds`.
    mutating func takeNewKeys(holds: (BlobDigest) throws -> Bool) rethrows -> [[UInt8]] {
        var keep: [(key: [UInt8], digests: [BlobDigest])] = []
        for entry in pending {
            if try entry.digests.contains(where: holds) { offer(entry.key) } else { keep.append(entry) }
        }
        pending = keep
        defer { fresh = [] }
        return fresh
    }

    var pendingCount: Int { pending.count }

    private mutating func offer(_ key: [UInt8]) {
        if announced.insert(key).inserted { fresh.append(key) }
    }
}
