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
    static let rebuildPageSize = 10_000

    /// Empties the view databases and folds the whole log into them again, a page per write
    /// transaction. The view version is recorded only at the end, so an interrupted rebuild
    /// leaves the views marked stale and the next open redoes it.
    public func rebuildViews() throws {
        guard let views else { throw StoreError.noViewMaintainer }
        try environment.write { txn in
            try txn.delete(databases.meta, key: Self.viewsKey)
            for db in viewDatabases.all { try txn.clear(db) }
        }
        var since: UInt64 = 0
        while true {
            let page = try events(since: since, limit: Self.rebuildPageSize)
            guard let last = page.last else { break }
            try environment.write { txn in try views.apply(page.map(\.event), in: txn, store: databases, views: viewDatabases) }
            since = last.localSeq
        }
        try environment.write { txn in try txn.put(databases.meta, key: Self.viewsKey, value: BigEndian.bytes(views.viewVersion)) }
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
