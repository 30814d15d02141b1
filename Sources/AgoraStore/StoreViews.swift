import AgoraCore
import Foundation

/// Where a rebuilt view first differs from the live one.
public struct ViewMismatch: Sendable, Hashable, CustomStringConvertible {
    public let database: String
    public let key: [UInt8]
    public let reason: String

    public var description: String { "view \(database) differs at key \(Hex.encode(key)): \(reason)" }
}

public struct ViewComparison: Sendable {
    public let events: Int
    public let duration: Duration
    public let mismatch: ViewMismatch?

    public var equal: Bool { mismatch == nil }
}

extension Store {
    public static let rebuildPageSize = 10_000

    static let rebuildKey = Array("rebuild".utf8)

    /// Empties the view databases and folds the whole log into them again, a page per write
    /// transaction. The view version is recorded only at the end, so an interrupted rebuild
    /// leaves the views marked stale and the next open redoes it.
    ///
    /// Other processes may append meanwhile. Their events are either folded by them (the views
    /// are set folds, so meeting the event again in a later page changes nothing) or, if they
    /// append without a maintainer, picked up here: the last page is read and folded in the
    /// same write transaction that records the view version, so no event slips between the
    /// final read and "views are current". A second rebuild starting meanwhile takes over (its
    /// token replaces ours): this one stops, so a cleared-and-half-refolded state is never
    /// marked current by the rebuild that lost its clearing, and waits for the other to finish
    /// (up to `takeoverWait`; then it assumes the other died and rebuilds again).
    public func rebuildViews(pageSize: Int = rebuildPageSize, takeoverWait: Duration = .seconds(600)) throws {
        guard let views else { throw StoreError.noViewMaintainer }
        while try !rebuildOnce(views, pageSize: pageSize) {
            let clock = ContinuousClock()
            let deadline = clock.now + takeoverWait
            while clock.now < deadline, try storedViewVersion() != views.viewVersion {
                Thread.sleep(forTimeInterval: 0.05)
            }
            if try storedViewVersion() == views.viewVersion { return }
        }
    }

    /// One rebuild; false when another rebuild took over before it finished.
    private func rebuildOnce(_ views: any ViewMaintainer, pageSize: Int) throws -> Bool {
        let token = (0..<16).map { _ in UInt8.random(in: 0...255) }
        try environment.write { txn in
            try txn.delete(databases.meta, key: Self.viewsKey)
            for db in viewDatabases.all { try txn.clear(db) }
            try txn.put(databases.meta, key: Self.rebuildKey, value: token)
        }
        var since: UInt64 = 0
        while true {
            let outcome: (done: Bool, since: UInt64)? = try environment.write { txn in
                guard try txn.get(databases.meta, key: Self.rebuildKey) == token else { return nil }
                let page = try databases.events(since: since, limit: max(1, pageSize), in: txn)
                guard let last = page.last else {
                    try txn.delete(databases.meta, key: Self.rebuildKey)
                    try txn.put(databases.meta, key: Self.viewsKey, value: BigEndian.bytes(views.viewVersion))
                    return (true, since)
                }
                try views.apply(page.map(\.event), in: txn, store: databases, views: viewDatabases)
                return (false, last.localSeq)
            }
            guard let outcome else { return false }
            if outcome.done { return true }
            since = outcome.since
        }
    }

    /// The audit of the views: replays the log into a scratch store in a temporary directory
    /// (removed afterwards) and compares every view database with the live one, byte for byte.
    public func verifyViews() throws -> ViewComparison {
        guard let views else { throw StoreError.noViewMaintainer }
        let clock = ContinuousClock()
        let start = clock.now
        let scratchDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("agora-rebuild-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: scratchDirectory) }
        let scratch = try Store(
            directory: scratchDirectory, migrations: migrations, views: views,
            configuration: EnvironmentConfiguration(
                initialMapSize: environment.mapSize, maxMapSize: environment.configuration.maxMapSize),
            limits: limits)
        var since: UInt64 = 0
        var replayed = 0
        while true {
            let page = try events(since: since, limit: Self.rebuildPageSize)
            guard let last = page.last else { break }
            let outcomes = try scratch.append(page.map(\.event), verification: .none)
            for (entry, outcome) in zip(page, outcomes) {
                guard case .appended = outcome else {
                    let mismatch = ViewMismatch(database: "log", key: BigEndian.bytes(entry.localSeq), reason: "replaying local seq \(entry.localSeq) gave \(outcome)")
                    return ViewComparison(events: replayed, duration: clock.now - start, mismatch: mismatch)
                }
            }
            replayed += page.count
            since = last.localSeq
        }
        var mismatch: ViewMismatch?
        if try storedViewVersion() != views.viewVersion {
            mismatch = ViewMismatch(database: "meta", key: Self.viewsKey, reason: "live views are stale or from another view version")
        }
        for (live, rebuilt) in zip(viewDatabases.all, scratch.viewDatabases.all) where mismatch == nil {
            mismatch = try compare(live, of: self, with: rebuilt, of: scratch)
        }
        return ViewComparison(events: replayed, duration: clock.now - start, mismatch: mismatch)
    }

    private func compare(_ live: Database, of liveStore: Store, with rebuilt: Database, of rebuiltStore: Store) throws -> ViewMismatch? {
        try liveStore.read { liveTxn in
            try rebuiltStore.read { rebuiltTxn in
                try liveTxn.withCursor(live) { liveCursor in
                    try rebuiltTxn.withCursor(rebuilt) { rebuiltCursor in
                        var left = try liveCursor.first()
                        var right = try rebuiltCursor.first()
                        while true {
                            switch (left, right) {
                            case (nil, nil):
                                return nil
                            case (let entry?, nil):
                                return ViewMismatch(database: live.name, key: Array(entry.key), reason: "present live, absent after rebuild")
                            case (nil, let entry?):
                                return ViewMismatch(database: live.name, key: Array(entry.key), reason: "absent live, present after rebuild")
                            case (let l?, let r?):
                                guard l.key.elementsEqual(r.key) else {
                                    let first = l.key.lexicographicallyPrecedes(r.key) ? l.key : r.key
                                    return ViewMismatch(database: live.name, key: Array(first), reason: "keys differ")
                                }
                                guard l.value.elementsEqual(r.value) else {
                                    return ViewMismatch(database: live.name, key: Array(l.key), reason: "values differ")
                                }
                            }
                            left = try liveCursor.next()
                            right = try rebuiltCursor.next()
                        }
                    }
                }
            }
        }
    }
}
