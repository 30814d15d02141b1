import AgoraRegistry
import AgoraStore
import Hummingbird
import Synchronization

/// Finished registry responses per package (release list, metadata, manifests), so a hot
/// package is answered without a store transaction, a fold or a JSON encoding.
///
/// Validity follows the store's last committed write transaction, which any process's commit
/// raises (a publish or yank by `agora` beside the server, sync, gossip). A request that sees
/// the number unchanged uses the entry as is; otherwise the package's state is read again and
/// the rendered responses are kept only when it is the same, so an entry is dropped exactly
/// when its package changed. Bounded by packages, by responses per package (the `Host`
/// header is part of a response's key, and clients choose it) and by bytes.
final class PackageResponseCache: Sendable {
    /// What a package's responses are rendered from: read once per store change.
    struct Snapshot: Sendable {
        let info: PackageInfo
        /// Tells snapshots apart without comparing them: responses are kept only beside the
        /// snapshot they were rendered from.
        let generation: UInt64
    }

    struct Entry {
        var snapshot: Snapshot
        var checkedAt: Int
        var responses: [String: Response] = [:]
        var bytes = 0
        var lastUse: UInt64
    }

    struct State {
        var entries: [String: Entry] = [:]
        var bytes = 0
        var clock: UInt64 = 0
    }

    let maxPackages: Int
    let maxResponsesPerPackage: Int
    let maxBytes: Int
    let state = Mutex(State())

    init(maxPackages: Int = 4096, maxResponsesPerPackage: Int = 64, maxBytes: Int = 64 << 20) {
        self.maxPackages = maxPackages
        self.maxResponsesPerPackage = maxResponsesPerPackage
        self.maxBytes = maxBytes
    }

    /// The package's current snapshot: cached while the store has not changed, else read with
    /// `load` (which throws for an unknown package; nothing is cached for it).
    func snapshot(key: String, version: Int, load: () throws -> PackageInfo) throws -> Snapshot {
        if let cached = state.withLock({ state in state.entries[key].flatMap { $0.checkedAt == version ? $0.snapshot : nil } }) {
            return cached
        }
        let info = try load()
        return state.withLock { state in
            state.clock += 1
            if var entry = state.entries[key] {
                guard entry.checkedAt < version else { return entry.snapshot }
                if entry.snapshot.info != info {
                    state.bytes -= entry.bytes
                    entry = Entry(snapshot: Snapshot(info: info, generation: state.clock), checkedAt: version, lastUse: state.clock)
                }
                entry.checkedAt = version
                entry.lastUse = state.clock
                state.entries[key] = entry
                return entry.snapshot
            }
            let snapshot = Snapshot(info: info, generation: state.clock)
            state.entries[key] = Entry(snapshot: snapshot, checkedAt: version, lastUse: state.clock)
            evict(&state)
            return snapshot
        }
    }

    /// The kept response `variant` of the package when the store is still at `version`: the
    /// path of a hot read, one lock and two lookups.
    func hit(key: String, version: Int, variant: String) -> Response? {
        state.withLock { state in
            guard let index = state.entries.index(forKey: key), state.entries.values[index].checkedAt == version,
                  let response = state.entries.values[index].responses[variant]
            else { return nil }
            state.clock += 1
            state.entries.values[index].lastUse = state.clock
            return response
        }
    }

    /// The response `variant` of the package as of `snapshot`, rendered once. A response
    /// rendered from an older snapshot than the entry's is returned but not kept.
    func response(
        key: String, variant: String, snapshot: Snapshot, render: () throws -> (Response, bytes: Int)
    ) throws -> Response {
        let hit = state.withLock { state -> Response? in
            guard var entry = state.entries[key], let response = entry.responses[variant] else { return nil }
            state.clock += 1
            entry.lastUse = state.clock
            state.entries[key] = entry
            return response
        }
        if let hit { return hit }
        let (response, bytes) = try render()
        state.withLock { state in
            guard var entry = state.entries[key], entry.snapshot.generation == snapshot.generation,
                  entry.responses[variant] == nil, entry.responses.count < maxResponsesPerPackage,
                  bytes <= maxBytes / 16
            else { return }
            entry.responses[variant] = response
            entry.bytes += bytes
            state.bytes += bytes
            state.entries[key] = entry
            evict(&state)
        }
        return response
    }

    /// Drops the least recently used packages until both bounds hold.
    private func evict(_ state: inout State) {
        while state.entries.count > maxPackages || state.bytes > maxBytes,
              let oldest = state.entries.min(by: { $0.value.lastUse < $1.value.lastUse })
        {
            state.bytes -= oldest.value.bytes
            state.entries.removeValue(forKey: oldest.key)
        }
    }
}
