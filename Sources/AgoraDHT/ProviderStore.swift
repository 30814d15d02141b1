/// Provider records a server holds for others (ADD_PROVIDER / GET_PROVIDERS): key → peers that
/// said they have the content, each until its expiry. Bounded three ways so no peer can grow
/// it without limit: records in total, providers per key, and records per providing peer.
/// Pure: time is an input; generic so the simulator can use integers for keys and peers.
public struct ProviderStore<Key: Hashable & Sendable, Peer: Hashable & Sendable>: Sendable {
    public typealias Limits = ProviderLimits

    public enum Outcome: Sendable, Equatable {
        case added
        case refreshed
        case storeFull
        case keyFull
        case providerOverQuota
    }

    public let limits: Limits
    /// Per key, in announcement order (an array, not a dictionary, so answers come out in
    /// the same order on every run: the simulator must be deterministic).
    private var records: [Key: [(peer: Peer, expires: Duration)]] = [:]
    private var perProvider: [Peer: Int] = [:]
    public private(set) var count = 0

    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// Records `provider` for `key` until `now + expiry`; a known pair only gets a new expiry.
    public mutating func add(_ provider: Peer, for key: Key, now: Duration) -> Outcome {
        let expires = now + limits.expiry
        if let index = records[key]?.firstIndex(where: { $0.peer == provider }) {
            records[key]!.remove(at: index)
            records[key]!.append((provider, expires))
            return .refreshed
        }
        guard count < limits.maxRecords else { return .storeFull }
        guard (records[key]?.count ?? 0) < limits.maxProvidersPerKey else { return .keyFull }
        guard perProvider[provider, default: 0] < limits.maxRecordsPerProvider else { return .providerOverQuota }
        records[key, default: []].append((provider, expires))
        perProvider[provider, default: 0] += 1
        count += 1
        return .added
    }

    /// The live providers of `key`, the most recent announcement first.
    public func providers(for key: Key, now: Duration) -> [Peer] {
        guard let entries = records[key] else { return [] }
        return entries.reversed().filter { $0.expires > now }.map(\.peer)
    }

    /// Drops every expired record.
    public mutating func expire(now: Duration) {
        for (key, entries) in records {
            let live = entries.filter { $0.expires > now }
            guard live.count != entries.count else { continue }
            for entry in entries where entry.expires <= now {
                release(entry.peer)
            }
            records[key] = live.isEmpty ? nil : live
        }
    }

    private mutating func release(_ provider: Peer) {
        count -= 1
        let remaining = perProvider[provider, default: 1] - 1
        perProvider[provider] = remaining > 0 ? remaining : nil
    }

    public func recordCount(of provider: Peer) -> Int { perProvider[provider, default: 0] }
    public var keyCount: Int { records.count }
}

/// Bounds and lifetime of the provider records a server keeps.
public struct ProviderLimits: Sendable, Equatable {
    public var maxRecords: Int
    public var maxProvidersPerKey: Int
    public var maxRecordsPerProvider: Int
    /// How long a record lives unless re-announced (libp2p uses 48 h).
    public var expiry: Duration

    public init(maxRecords: Int = 200_000, maxProvidersPerKey: Int = 64, maxRecordsPerProvider: Int = 10_000, expiry: Duration = .seconds(48 * 3600)) {
        self.maxRecords = maxRecords
        self.maxProvidersPerKey = maxProvidersPerKey
        self.maxRecordsPerProvider = maxRecordsPerProvider
        self.expiry = expiry
    }
}
