import AgoraStore

/// The registry views' databases, open, with the store's own databases for reading events.
public struct RegistryDatabases: Sendable {
    /// Package key → PackageState.
    public static let releasesSpec = DatabaseSpec("releases")
    public static let packageEventsSpec = DatabaseSpec("packageEvents", flags: [.duplicateSort, .duplicateFixed])
    public static let principalsSpec = DatabaseSpec("principals")
    public static let scopesSpec = DatabaseSpec("scopes")
    public static let postingsSpec = DatabaseSpec("postings", flags: [.duplicateSort, .duplicateFixed])
    public static let namesSpec = DatabaseSpec("names", flags: [.duplicateSort, .duplicateFixed])
    /// `TypoKeys` (direction, length, name) → document IDs: the one-typo index.
    public static let typosSpec = DatabaseSpec("typos", flags: [.duplicateSort, .duplicateFixed])
    public static let docsSpec = DatabaseSpec("docs")
    public static let scoresSpec = DatabaseSpec("scores")
    /// Peer ID → IDs of the retrieval and penalty events about it: the set each score is the
    /// sum over, so an event is counted once however often it is applied.
    public static let peerEventsSpec = DatabaseSpec("peerEvents", flags: [.duplicateSort, .duplicateFixed])
    /// Bookkeeping behind the views above, so any event re-folds only what it touches.
    /// New owner key → lowercased scope of each transfer to it: what a rotation of that key
    /// must re-fold besides what its own feed (`feedEntries`) names. Transfers are rare, so this
    /// costs little, where the `authorIndex` it replaces took an entry with every release.
    public static let transfersToSpec = DatabaseSpec("transfersTo", flags: [.duplicateSort])
    /// Lowercased scope → IDs of the ScopeTransferred events for it.
    public static let scopeEventsSpec = DatabaseSpec("scopeEvents", flags: [.duplicateSort, .duplicateFixed])
    /// Lowercased scope + 0x00 + author key → feed seq (u64 BE) + event ID of that author's
    /// first release into the scope: all a scope fold needs, however many packages it holds.
    public static let scopeAuthorsSpec = DatabaseSpec("scopeAuthors")
    /// Author key → IDs of the KeyRotated events in its feed.
    public static let rotationsSpec = DatabaseSpec("rotations", flags: [.duplicateSort, .duplicateFixed])

    /// Document ID + reporter key + period (u64 BE) → the largest count (u64 BE, capped) that
    /// reporter signed for the package in that period.
    public static let retrievalCountsSpec = DatabaseSpec("retrievalCounts")
    /// Document ID → `PackagePopularity`, folded from `retrievalCounts` and the package's keys.
    public static let popularitySpec = DatabaseSpec("popularity")

    public static let specs: [DatabaseSpec] = [
        releasesSpec, packageEventsSpec, principalsSpec, scopesSpec, postingsSpec, namesSpec, typosSpec, docsSpec, scoresSpec,
        scopeEventsSpec, scopeAuthorsSpec, rotationsSpec, peerEventsSpec,
        retrievalCountsSpec, popularitySpec, transfersToSpec,
    ]

    public let store: StoreDatabases
    public let releases, packageEvents, principals, scopes, postings, names, typos, docs, scores: Database
    public let scopeEvents, scopeAuthors, rotations, peerEvents, retrievalCounts, popularity, transfersTo: Database

    public init(store: StoreDatabases, views: ViewDatabases) throws {
        func open(_ spec: DatabaseSpec) throws -> Database {
            guard let db = views.named(spec.name), db.spec == spec else {
                throw StoreError.corrupt("view database \(spec.name) is not open; open the store with the registry views")
            }
            return db
        }
        self.store = store
        releases = try open(Self.releasesSpec)
        packageEvents = try open(Self.packageEventsSpec)
        principals = try open(Self.principalsSpec)
        scopes = try open(Self.scopesSpec)
        postings = try open(Self.postingsSpec)
        names = try open(Self.namesSpec)
        typos = try open(Self.typosSpec)
        docs = try open(Self.docsSpec)
        scores = try open(Self.scoresSpec)
        scopeEvents = try open(Self.scopeEventsSpec)
        transfersTo = try open(Self.transfersToSpec)
        scopeAuthors = try open(Self.scopeAuthorsSpec)
        rotations = try open(Self.rotationsSpec)
        peerEvents = try open(Self.peerEventsSpec)
        retrievalCounts = try open(Self.retrievalCountsSpec)
        popularity = try open(Self.popularitySpec)
    }

    /// The registry databases of a store opened with `RegistryViews`.
    public init(_ store: Store) throws {
        try self.init(store: store.databases, views: store.viewDatabases)
    }
}
