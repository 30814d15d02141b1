import AgoraCore

/// Keeps the view databases up to date: the store calls it inside the very write
/// transaction that appends events, so views and log never disagree after a commit.
///
/// Implementations must make the view databases a function of the event *set*: the same
/// events appended in any order, in any batching, must leave byte-identical views (the store
/// checks this with `verifyViews`, which refolds the log into a scratch store).
public protocol ViewMaintainer: Sendable {
    /// Bump whenever the fold or a record format changes: a store whose views were built by
    /// another version rebuilds them from the log when opened.
    var viewVersion: UInt32 { get }

    /// The databases the views live in. The store creates missing ones when it opens (views
    /// are derived data, versioned by `viewVersion`, not by the store layout), clears them for
    /// a rebuild and compares them in `verifyViews`.
    var databaseSpecs: [DatabaseSpec] { get }

    /// `events` are the ones this transaction newly appended, in local order (duplicates and
    /// rejected events are not passed); while a rebuild runs, appends skip this and the
    /// rebuild applies their events. They are already readable through `store`; `views`
    /// holds the databases of `databaseSpecs`, open.
    func apply(_ events: [Event], in txn: WriteTransaction, store: StoreDatabases, views: ViewDatabases) throws

    /// The part of applying a batch that needs no transaction (decoding, and what each event
    /// makes on assumptions `apply` checks later), done before the write transaction opens —
    /// on every core, or while the writer commits the batch before (`Store.prepareAppend`).
    /// Nil: nothing to prepare.
    func prepare(_ events: [Event], store: StoreDatabases, views: ViewDatabases) -> (any Sendable)?

    /// `prepare`'s work on `events` alone, as one part that `prepare(_:reusing:)` of a batch
    /// holding them in a row takes instead of doing it again: made for each batch appended with
    /// the views deferred, on another thread while the writer goes on (`AppendedParts`). Nil:
    /// the maintainer makes no parts.
    func preparePart(_ events: [Event], store: StoreDatabases, views: ViewDatabases) -> (any Sendable)?

    /// `prepare` of `events`, with `parts[offset]` — what `preparePart` made of the events
    /// from `offset` on — taken for those events. Must give what `prepare` gives.
    func prepare(_ events: [Event], reusing parts: [Int: any Sendable], store: StoreDatabases, views: ViewDatabases) -> (any Sendable)?

    /// `apply` with what `prepare` made of a batch holding `events` (and perhaps others). It
    /// must leave exactly what `apply` leaves: a prepared result whose assumptions no longer
    /// hold in the transaction is recomputed, never trusted.
    func apply(_ events: [Event], prepared: (any Sendable)?, in txn: WriteTransaction, store: StoreDatabases, views: ViewDatabases) throws

    /// The view databases' whole content for `events` (a prefix of the log, in local order)
    /// folded into empty views — a database's content as one table or as several, in key
    /// order — or nil when the maintainer has no bulk fold (the rebuild then
    /// applies the log page by page). Must equal what `apply` leaves for the same events, byte
    /// for byte; runs outside any transaction, so it may use every core.
    func bulkFold(_ events: [Event], store: StoreDatabases, views: ViewDatabases) throws -> [SortedEntries]?

    /// Whether `bulkFold` folds (it is not the default's nil): only then does a fold into views
    /// that hold nothing yet read the backlog into memory for it (`Store.foldPendingViews`).
    var foldsInBulk: Bool { get }

    /// `bulkFold`, handing each table to `ready` (on any thread, in any order but one
    /// database's tables in key order) as soon as it is complete, so the writer appends it while the others are still folded. False when the
    /// maintainer has no bulk fold. Takes the caller's only reference to `events`, so that a
    /// maintainer may free them before the fold ends.
    func bulkFold(
        _ events: consuming [Event], store: StoreDatabases, views: ViewDatabases, ready: @escaping @Sendable (SortedEntries) -> Void
    ) throws -> Bool
}

extension ViewMaintainer {
    public func prepare(_ events: [Event], store: StoreDatabases, views: ViewDatabases) -> (any Sendable)? { nil }

    public func preparePart(_ events: [Event], store: StoreDatabases, views: ViewDatabases) -> (any Sendable)? { nil }

    public func prepare(_ events: [Event], reusing parts: [Int: any Sendable], store: StoreDatabases, views: ViewDatabases) -> (any Sendable)? {
        prepare(events, store: store, views: views)
    }

    public func apply(
        _ events: [Event], prepared: (any Sendable)?, in txn: WriteTransaction, store: StoreDatabases, views: ViewDatabases
    ) throws {
        try apply(events, in: txn, store: store, views: views)
    }

    public func bulkFold(_ events: [Event], store: StoreDatabases, views: ViewDatabases) throws -> [SortedEntries]? { nil }

    public var foldsInBulk: Bool { false }

    public func bulkFold(
        _ events: consuming [Event], store: StoreDatabases, views: ViewDatabases, ready: @escaping @Sendable (SortedEntries) -> Void
    ) throws -> Bool {
        guard let tables = try bulkFold(events, store: store, views: views) else { return false }
        tables.forEach(ready)
        return true
    }
}

/// The open databases of a maintainer's `databaseSpecs`, in spec order.
public struct ViewDatabases: Sendable {
    public let all: [Database]

    init(_ all: [Database]) {
        self.all = all
    }

    /// Opens (creating when missing) every database of `specs`.
    static func open(_ specs: [DatabaseSpec], in environment: Environment) throws -> ViewDatabases {
        let existing = try environment.read { txn in try specs.map { try txn.openDatabase($0) } }
        if existing.allSatisfy({ $0 != nil }) { return ViewDatabases(existing.compactMap { $0 }) }
        return ViewDatabases(try environment.write { txn in try specs.map { try txn.createDatabase($0) } })
    }

    public func named(_ name: String) -> Database? {
        all.first { $0.name == name }
    }
}
