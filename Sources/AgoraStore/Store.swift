import AgoraCore
import Foundation

/// Bounds that keep any single stored object, and any read of one, finite.
public struct StoreLimits: Sendable {
    public var maxBlobSize: Int
    /// Blobs are stored in chunks of this many bytes, each compressed on its own, so a read
    /// or write never needs more than one chunk of scratch space beyond the blob itself.
    public var blobChunkSize: Int

    public init(maxBlobSize: Int = 512 << 20, blobChunkSize: Int = 256 << 10) {
        self.maxBlobSize = maxBlobSize
        self.blobChunkSize = blobChunkSize
    }
}

/// The node's store: the log, feeds, equivocation evidence, blobs, local pins and the views,
/// in one LMDB environment.
public final class Store: Sendable {
    static let viewsKey = Array("views".utf8)

    public let directory: URL
    public let environment: Environment
    public let databases: StoreDatabases
    public let views: (any ViewMaintainer)?
    /// The databases of `views` (none without a maintainer).
    public let viewDatabases: ViewDatabases
    public let migrations: [MigrationStep]
    public let limits: StoreLimits
    public let migration: MigrationReport
    let blobUseLog = BlobUseLog()
    /// Where fold runs are freed (`foldPendingViews`).
    let backgroundRelease = BackgroundRelease()
    /// The fold run read and prepared ahead (`foldPendingViews`).
    let foldAhead = FoldAhead()
    /// The fold run size that fits one transaction here (`foldPendingViews`).
    let foldRunCap = FoldRunCap()
    /// Batches appended with the views deferred, prepared for `foldPendingViews` as they commit.
    let appendedParts = AppendedParts()

    /// The store inside an Agora home: `$AGORA_HOME/store`.
    public convenience init(
        home: URL, migrations: [MigrationStep], views: (any ViewMaintainer)?,
        configuration: EnvironmentConfiguration = EnvironmentConfiguration(), limits: StoreLimits = StoreLimits(),
        notice: (StoreNotice) -> Void = { _ in }
    ) throws {
        try self.init(
            directory: home.appendingPathComponent("store"), migrations: migrations, views: views,
            configuration: configuration, limits: limits, notice: notice)
    }

    /// Opens (creating or upgrading) the store. With `views`, view databases built by another
    /// view version, or left stale by appends made without a maintainer, are rebuilt from the
    /// log before this returns, told to `notice` before and after when the log is not empty.
    /// Without one, appends mark the views stale.
    public init(
        directory: URL, migrations: [MigrationStep], views: (any ViewMaintainer)?,
        configuration: EnvironmentConfiguration = EnvironmentConfiguration(), limits: StoreLimits = StoreLimits(),
        notice: (StoreNotice) -> Void = { _ in }
    ) throws {
        let migrator = try Migrator(steps: migrations)
        guard migrator.latestVersion >= StoreLayout.currentVersion else {
            throw StoreError.migrationsIncomplete(reach: migrator.latestVersion, needed: StoreLayout.currentVersion)
        }
        self.directory = directory
        let environment = try Environment(path: directory.path, configuration: configuration)
        self.environment = environment
        self.migration = try migrator.migrate(environment)
        self.databases = try environment.read { txn in try StoreDatabases(opening: txn) }
        self.views = views
        self.viewDatabases = try views.map { try ViewDatabases.open($0.databaseSpecs, in: environment) } ?? ViewDatabases([])
        self.migrations = migrations
        self.limits = limits
        if let views, case let builtBy = try storedViewVersion(), builtBy != views.viewVersion {
            let events = try lastLocalSeq()
            let clock = ContinuousClock()
            let start = clock.now
            if events > 0 { notice(.rebuildingViews(events: events, builtBy: builtBy, current: views.viewVersion)) }
            try rebuildViews()
            if events > 0 { notice(.viewsRebuilt(events: events, duration: clock.now - start)) }
        }
    }

    public func read<R>(_ body: (ReadTransaction) throws -> R) throws -> R {
        try environment.read(body)
    }

    /// The view version the view databases were last built with; nil when stale or never built.
    public func storedViewVersion() throws -> UInt32? {
        try read { txn in try txn.get(databases.meta, key: Self.viewsKey).flatMap { BigEndian.uint32($0) } }
    }
}
