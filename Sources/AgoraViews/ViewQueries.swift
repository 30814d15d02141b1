import AgoraCore
import AgoraStore

/// Reads of the registry views for the registry and the CLI. Each call is one read
/// transaction, so what it returns is one consistent snapshot. The views are those
/// `RegistryViews` writes; a store opened without it answers from whatever views it has.
extension Store {
    /// Ranked search (see `SearchEngine`) over the stored index.
    public func search(query: String, filters: SearchFilters = SearchFilters()) throws -> [SearchHit] {
        let databases = try RegistryDatabases(self)
        return try read { txn in try SearchEngine.search(query: query, filters: filters, index: LMDBSearchIndex(txn, databases: databases)) }
    }

    /// Runs `body` with the search index of one read transaction: several searches against
    /// one snapshot, or direct index lookups.
    public func withSearchIndex<R>(_ body: (LMDBSearchIndex<ReadTransaction>) throws -> R) throws -> R {
        let databases = try RegistryDatabases(self)
        return try read { txn in try body(LMDBSearchIndex(txn, databases: databases)) }
    }

    public func packageState(_ key: PackageKey) throws -> PackageState? {
        let databases = try RegistryDatabases(self)
        return try read { txn in try Self.packageState(key, txn: txn, databases: databases) }
    }

    /// Packages in key order after `after` (from the first when nil), at most `limit`
    /// (capped at `maxPageSize`). Page on with the last key returned.
    public func packages(after: PackageKey? = nil, limit: Int) throws -> [PackageState] {
        let limit = max(0, min(limit, Self.maxPageSize))
        guard limit > 0 else { return [] }
        let databases = try RegistryDatabases(self)
        return try read { txn in
            var out: [PackageState] = []
            let start = after.map { Array($0.description.utf8) }
            try txn.forEach(databases.releases, from: start) { entry in
                if let start, entry.key.elementsEqual(start) { return true }
                let state = try ViewBatch.decode("package record", entry.value) { (bytes) throws(ViewDecodeError) in
                    try PackageState(decoding: bytes)
                }
                out.append(try Self.withManifests(state, txn: txn, databases: databases))
                return out.count < limit
            }
            return out
        }
    }

    /// Who claims a scope and whether it is contested; nil when nobody published into it.
    public func scopeState(_ scope: String) throws -> ScopeState? {
        let databases = try RegistryDatabases(self)
        return try read { txn in
            try txn.withValue(databases.scopes, key: Array(PackageIdentity.asciiLowercased(scope).utf8)) { bytes in
                try ViewBatch.decode("scope record", bytes) { (bytes) throws(ViewDecodeError) in try ScopeState(decoding: bytes) }
            }
        }
    }

    /// The root key of `key`'s rotation chain: the principal its releases count for.
    public func principal(of key: PublicKey) throws -> PublicKey {
        let databases = try RegistryDatabases(self)
        return try read { txn in try txn.withValue(databases.principals, key: key.bytes) { try ViewBatch.publicKey($0) } } ?? key
    }

    /// What `reporter`'s events say about `peer`; nil when it reported nothing about it.
    public func peerScore(of peer: [UInt8], reportedBy reporter: PublicKey) throws -> PeerScore? {
        guard !peer.isEmpty, peer.count <= PeerScore.maxPeerLength else { return nil }
        let databases = try RegistryDatabases(self)
        return try read { txn in
            try txn.withValue(databases.scores, key: reporter.bytes + peer) { bytes in
                try ViewBatch.decode("peer score", bytes) { (bytes) throws(ViewDecodeError) in try PeerScore(decoding: bytes) }
            }
        }
    }

    /// Scores in (reporter, peer ID) order, of one reporter or all, at most `maxPageSize`.
    public func peerScores(reportedBy reporter: PublicKey? = nil) throws -> [PeerScore] {
        let databases = try RegistryDatabases(self)
        return try read { txn in
            var out: [PeerScore] = []
            try txn.forEach(databases.scores, prefix: reporter?.bytes ?? []) { entry in
                out.append(try ViewBatch.decode("peer score", entry.value) { (bytes) throws(ViewDecodeError) in try PeerScore(decoding: bytes) })
                return out.count < Self.maxPageSize
            }
            return out
        }
    }

    static func packageState(_ key: PackageKey, txn: some ReadableTransaction, databases: RegistryDatabases) throws -> PackageState? {
        let state = try txn.withValue(databases.releases, key: Array(key.description.utf8)) { bytes in
            try ViewBatch.decode("package record", bytes) { (bytes) throws(ViewDecodeError) in try PackageState(decoding: bytes) }
        }
        return try state.map { try withManifests($0, txn: txn, databases: databases) }
    }

    /// Fills in each release's manifest from its event in the log (the record leaves it out).
    static func withManifests(_ state: PackageState, txn: some ReadableTransaction, databases: RegistryDatabases) throws -> PackageState {
        var state = state
        for index in state.releases.indices {
            let id = state.releases[index].event
            guard let event = try databases.store.event(id: id, in: txn),
                  case .releasePublished(let body)? = try? event.decodedBody()
            else { throw StoreError.corrupt("package \(state.key) names release event \(id), which the log lacks; rebuild the views") }
            state.releases[index].manifest = body.manifest
        }
        return state
    }
}
