import AgoraCore
import AgoraStore

/// The registry's views: packages, scopes, principals, search and peer scores, kept in LMDB
/// inside the append transaction.
///
/// Order independence comes from never folding incrementally where order matters: an event
/// only adds its ID to a set (per package, per scope, per rotating key), and everything
/// derived from a set it touched is re-folded from the whole set by the pure folds. Peer
/// scores are sums over their event set, which commute: an event joining the set is added in
/// place, one already in it is not added again.
public struct RegistryViews: ViewMaintainer {
    /// Bump when a fold or a record layout changes; stores rebuild their views on open.
    /// 10: only names that pass SwiftPM's registry rule are indexed (`packageKey(scope:name:)`),
    /// so packages an older fold took from peers under other names leave the views.
    public static let version: UInt32 = 10

    public var viewVersion: UInt32 { Self.version }
    public var databaseSpecs: [DatabaseSpec] { RegistryDatabases.specs }

    /// Whether a package first seen in a batch, with one release, is folded directly
    /// (`ViewBatch.newPackageState`); off only in tests that compare it with the general fold.
    let newPackageFastPath: Bool
    /// Changes a rebuild's table holds before it is sorted in key ranges
    /// (`IndexChanges.sortedEntries`); small only in tests of the ranges.
    let sortedPartSize: Int

    public init() {
        self.init(newPackageFastPath: true)
    }

    init(newPackageFastPath: Bool = true, sortedPartSize: Int = IndexChanges.sortedPartSize) {
        self.newPackageFastPath = newPackageFastPath
        self.sortedPartSize = sortedPartSize
    }

    public func prepare(_ events: [Event], store: StoreDatabases, views: ViewDatabases) -> (any Sendable)? {
        (try? RegistryDatabases(store: store, views: views)).map { PreparedBatch(events, databases: $0) }
    }

    public func preparePart(_ events: [Event], store: StoreDatabases, views: ViewDatabases) -> (any Sendable)? {
        (try? RegistryDatabases(store: store, views: views)).map { PreparedBatch.Part(events, events.indices, databases: $0) }
    }

    public func prepare(_ events: [Event], reusing parts: [Int: any Sendable], store: StoreDatabases, views: ViewDatabases) -> (any Sendable)? {
        (try? RegistryDatabases(store: store, views: views)).map { databases in
            PreparedBatch(events, reusing: parts.compactMapValues { $0 as? PreparedBatch.Part }, databases: databases)
        }
    }

    public func apply(_ events: [Event], in txn: WriteTransaction, store: StoreDatabases, views: ViewDatabases) throws {
        try apply(events, prepared: nil, in: txn, store: store, views: views)
    }

    public func apply(
        _ events: [Event], prepared: (any Sendable)?, in txn: WriteTransaction, store: StoreDatabases, views: ViewDatabases
    ) throws {
        let databases = try RegistryDatabases(store: store, views: views)
        let prepared = prepared as? PreparedBatch
        let positions = prepared?.positions(of: events)
        // Decoding is pure, so it runs on every core before the batch's sequential part (or
        // before the transaction, when the batch was prepared).
        let bodies = prepared.map { $0.bodies(of: events, at: positions ?? []) } ?? ParallelMap.map(events) { try? $0.decodedBody() }
        // Each release's and yank's package with its key bytes, made in `prepare` when there was one.
        let packages = prepared?.packages(of: bodies, at: positions ?? [])
        func package(at index: Int, scope: String, name: String) -> PackageKeyBytes? {
            if let packages { return packages[index] }
            return Self.packageKey(scope: scope, name: name).map(PackageKeyBytes.init)
        }
        var batch = ViewBatch(
            txn: txn, databases: databases, events: events, bodies: bodies, newPackageFastPath: newPackageFastPath,
            prepared: prepared.map { ($0, positions ?? []) })
        var rotationAuthors: [PublicKey] = []
        let release = EventKind.releasePublished.rawValue
        for index in events.indices {
            // A prepared release's or yank's package was made in `prepare`: its kind tells which,
            // so its body is not matched here (matching copied it, retaining its every string).
            if let packages, let package = packages[index] {
                let isRelease = events[index].kindCode == release
                try batch.recordPackageEvent(index, package: package, release: isRelease)
                if isRelease { batch.recordFirstRelease(index, scope: package.key.scope) }
                continue
            }
            guard let body = bodies[index] else { continue }
            switch body {
            case .releasePublished(let release):
                guard let package = package(at: index, scope: release.scope, name: release.name) else { continue }
                try batch.recordPackageEvent(index, package: package, release: true)
                batch.recordFirstRelease(index, scope: package.key.scope)
            case .releaseYanked(let yank):
                guard let package = package(at: index, scope: yank.scope, name: yank.name) else { continue }
                try batch.recordPackageEvent(index, package: package, release: false)
            case .scopeTransferred(let transfer):
                guard let scope = Self.scope(transfer.scope) else { continue }
                try batch.recordTransfer(events[index], scope: scope, newOwner: transfer.newOwner)
            case .keyRotated:
                try txn.put(databases.rotations, key: events[index].author.bytes, value: events[index].id.bytes)
                rotationAuthors.append(events[index].author)
            case .retrievalObserved, .peerPenalised:
                try batch.addToPeerScore(events[index], body)
            case .retrievalsCounted(let summary):
                try batch.recordRetrievals(events[index], summary)
            case .equivocationReported, .unknown:
                continue
            }
        }
        if !rotationAuthors.isEmpty { try batch.refoldPrincipals(retiring: rotationAuthors) }
        try batch.refoldDirty()
    }

    public var foldsInBulk: Bool { true }

    public func bulkFold(_ events: [Event], store: StoreDatabases, views: ViewDatabases) throws -> [SortedEntries]? {
        RegistryBulkFold.fold(events, databases: try RegistryDatabases(store: store, views: views), partSize: sortedPartSize)
    }

    public func bulkFold(
        _ events: consuming [Event], store: StoreDatabases, views: ViewDatabases, ready: @escaping @Sendable (SortedEntries) -> Void
    ) throws -> Bool {
        let databases = try RegistryDatabases(store: store, views: views)
        _ = RegistryBulkFold.fold(consume events, databases: databases, partSize: sortedPartSize, ready: ready)
        return true
    }

    /// The package key an event's scope and name make, or nil when the views ignore it: they
    /// index only identities SwiftPM's registry rule admits (`PackageIdentity`), the rule
    /// `agora publish` enforces, so a peer cannot place beside a real package a name no SwiftPM
    /// client can request (a Cyrillic `а` in `аcme`, `zope.interface`), nor two spellings of one
    /// text (`café` precomposed and decomposed) that a user cannot tell apart. Such events stay
    /// in the log and replicate like any other; only the views pass them by, on every node
    /// alike. The rule also bounds a key to 140 bytes, well inside LMDB's 511.
    static func packageKey(scope: String, name: String) -> PackageKey? {
        guard PackageIdentity.isValidScope(scope), PackageIdentity.isValidName(name) else { return nil }
        return PackageKey(scope: scope, name: name)
    }

    /// The package a retrieval summary names as `scope/name`, or nil when the views ignore it
    /// (`packageKey(scope:name:)`).
    static func packageKey(counted text: String) -> PackageKey? {
        PackageKey(text).flatMap { packageKey(scope: $0.scope, name: $0.name) }
    }

    /// The lowercased scope, or nil when it breaks SwiftPM's rule for scopes, as
    /// `packageKey(scope:name:)` decides for packages: a transfer of such a scope is not indexed.
    static func scope(_ scope: String) -> String? {
        PackageIdentity.isValidScope(scope) ? PackageIdentity.asciiLowercased(scope) : nil
    }
}
