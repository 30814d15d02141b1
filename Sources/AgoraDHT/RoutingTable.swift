/// The Kademlia routing table as a pure value: k-buckets indexed by the length of the prefix a
/// peer's key shares with ours (256 of them, created as peers arrive), each holding at most
/// `k` peers, least recently seen first, plus a bounded replacement cache.
///
/// Only peers that answered a kad request (or sent one as a server) are inserted: the shell
/// decides that, the table only orders them. A full bucket never drops a peer for a newcomer:
/// it asks the caller to check its least recently seen peer, and evicts it only when that
/// check fails (the newest replacement takes its place). `Peer` is generic so the simulator
/// can use small integers while the network shell uses `PeerID`.
public struct RoutingTable<Peer: Hashable & Sendable>: Sendable {
    public struct Entry: Sendable, Equatable {
        public let peer: Peer
        public let key: DHTKey
        public var lastSeen: Duration
    }

    struct Bucket: Sendable {
        var entries: [Entry] = []
        var replacements: [Entry] = []
        /// The entry whose liveness check is under way; one at a time per bucket.
        var probing: Peer?
        var lastRefreshed: Duration = .zero
    }

    public enum Insertion: Sendable, Equatable {
        case ignoredSelf
        /// Already present: moved to the most recently seen end.
        case refreshed
        case added
        /// The bucket is full: the newcomer waits in the replacement cache and the caller must
        /// check `probe` and report the result with `probeFinished`.
        case cached(probe: Peer)
        /// The bucket is full and a check is already under way: the newcomer is cached.
        case cachedWhileProbing
    }

    public let localKey: DHTKey
    public let bucketSize: Int
    public let replacementCacheSize: Int
    private var buckets: [Bucket] = []
    public private(set) var count = 0

    public init(localKey: DHTKey, bucketSize: Int = 20, replacementCacheSize: Int = 20) {
        precondition(bucketSize > 0 && replacementCacheSize >= 0, "a bucket holds at least one peer")
        self.localKey = localKey
        self.bucketSize = bucketSize
        self.replacementCacheSize = replacementCacheSize
    }

    func bucketIndex(of key: DHTKey) -> Int { localKey.commonPrefixLength(with: key) }

    /// The number of buckets that exist (every index below it may hold peers).
    public var bucketCount: Int { buckets.count }

    public func bucketEntries(_ index: Int) -> [Entry] { index < buckets.count ? buckets[index].entries : [] }
    public func bucketReplacements(_ index: Int) -> [Entry] { index < buckets.count ? buckets[index].replacements : [] }

    public func contains(_ peer: Peer, key: DHTKey) -> Bool {
        let index = bucketIndex(of: key)
        return index < buckets.count && buckets[index].entries.contains { $0.peer == peer }
    }

    /// A peer that speaks kad answered us (or, in server mode, asked us).
    public mutating func peerResponded(_ peer: Peer, key: DHTKey, now: Duration) -> Insertion {
        let index = bucketIndex(of: key)
        guard index < DHTKey.bitCount else { return .ignoredSelf }
        if index >= buckets.count {
            buckets.append(contentsOf: repeatElement(Bucket(lastRefreshed: now), count: index + 1 - buckets.count))
        }
        if let position = buckets[index].entries.firstIndex(where: { $0.peer == peer }) {
            var entry = buckets[index].entries.remove(at: position)
            entry.lastSeen = now
            buckets[index].entries.append(entry)
            return .refreshed
        }
        let entry = Entry(peer: peer, key: key, lastSeen: now)
        if buckets[index].entries.count < bucketSize {
            buckets[index].entries.append(entry)
            buckets[index].replacements.removeAll { $0.peer == peer }
            count += 1
            return .added
        }
        cache(entry, in: index)
        if buckets[index].probing != nil { return .cachedWhileProbing }
        let oldest = buckets[index].entries[0].peer
        buckets[index].probing = oldest
        return .cached(probe: oldest)
    }

    private mutating func cache(_ entry: Entry, in index: Int) {
        guard replacementCacheSize > 0 else { return }
        buckets[index].replacements.removeAll { $0.peer == entry.peer }
        buckets[index].replacements.append(entry)
        if buckets[index].replacements.count > replacementCacheSize {
            buckets[index].replacements.removeFirst()
        }
    }

    /// The result of the liveness check `peerResponded` asked for: an alive peer becomes the
    /// most recently seen; a dead one is evicted for the newest replacement, which is returned.
    @discardableResult
    public mutating func probeFinished(_ peer: Peer, key: DHTKey, alive: Bool, now: Duration) -> Entry? {
        let index = bucketIndex(of: key)
        guard index < buckets.count else { return nil }
        if buckets[index].probing == peer { buckets[index].probing = nil }
        if alive {
            _ = peerResponded(peer, key: key, now: now)
            return nil
        }
        return remove(peer, key: key)
    }

    /// Drops `peer` (it failed a request) and promotes the newest replacement, if any.
    @discardableResult
    public mutating func remove(_ peer: Peer, key: DHTKey) -> Entry? {
        let index = bucketIndex(of: key)
        guard index < buckets.count else { return nil }
        buckets[index].replacements.removeAll { $0.peer == peer }
        guard let position = buckets[index].entries.firstIndex(where: { $0.peer == peer }) else { return nil }
        buckets[index].entries.remove(at: position)
        count -= 1
        if buckets[index].probing == peer { buckets[index].probing = nil }
        guard let promoted = buckets[index].replacements.popLast() else { return nil }
        buckets[index].entries.append(promoted)
        count += 1
        return promoted
    }

    /// The `count` peers closest to `target`, closest first. Buckets are visited from the
    /// target's own bucket outwards, so far buckets are skipped once enough peers are found.
    public func closest(to target: DHTKey, count wanted: Int) -> [Entry] {
        guard wanted > 0, !buckets.isEmpty else { return [] }
        let own = min(bucketIndex(of: target), buckets.count - 1)
        var found: [Entry] = []
        found.reserveCapacity(wanted + bucketSize)
        // Peers in buckets above the target's own share more bits with us than the target
        // does, so they are all at distance about 2^(255-own) from it: visit them together
        // with the target's bucket, then lower buckets in order (each is strictly farther).
        for index in stride(from: buckets.count - 1, through: own, by: -1) {
            found.append(contentsOf: buckets[index].entries)
        }
        var next = own - 1
        while found.count < wanted && next >= 0 {
            found.append(contentsOf: buckets[next].entries)
            next -= 1
        }
        // Sorting (distance, index) pairs, a concrete type, keeps the comparisons specialised
        // even when this generic code runs unspecialised from another module (the simulator):
        // sorting the entries themselves looked up their generic metadata on every compare.
        var order = found.indices.map { (distance: found[$0].key.distance(to: target), index: $0) }
        order.sort { $0.distance < $1.distance }
        return order.prefix(wanted).map { found[$0.index] }
    }

    /// Every entry, bucket by bucket.
    public var allEntries: [Entry] { buckets.flatMap(\.entries) }

    /// Buckets not refreshed within `interval`; the caller looks up a random key in each.
    public func bucketsDueForRefresh(now: Duration, interval: Duration) -> [Int] {
        buckets.indices.filter { now - buckets[$0].lastRefreshed >= interval }
    }

    public mutating func markRefreshed(_ index: Int, now: Duration) {
        guard index < buckets.count else { return }
        buckets[index].lastRefreshed = now
    }
}
