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
    /// Events a rebuild folds in memory at most (`ViewMaintainer.bulkFold`); the log beyond
    /// them is applied page by page, so memory stays bounded however long the log is.
    public static let bulkRebuildLimit = 2_000_000
    /// Stored event bytes the in-memory part of a rebuild reads at most (past each page's
    /// first event): events come from peers and may each be `Event.maxSize`, so 2M of them
    /// could otherwise hold hundreds of gigabytes. Registry events are ~0.5–1 KB, so for
    /// them the event count binds first.
    public static let bulkRebuildBytes = 1 << 30
    /// Key and value bytes one bulk-load transaction writes at most: with full pages that is
    /// ~16k dirty pages, far inside LMDB's limit of 128k per transaction.
    public static let bulkTransactionBytes = 64 << 20

    static let rebuildKey = Array("rebuild".utf8)
    /// The bulk fold's thread's stack: a main thread's usual 8 MiB, whatever a spawned
    /// thread's default is here.
    static let foldStackSize = 8 << 20

    /// Empties the view databases and folds the whole log into them again. The view version
    /// is recorded only at the end, so an interrupted rebuild leaves the views marked stale and
    /// the next open redoes it.
    ///
    /// The first `bulkLimit` events are folded in memory (`ViewMaintainer.bulkFold`) and
    /// written in key order with `MDB_APPEND`, several transactions each bounded in bytes; the
    /// rest of the log is applied page by page through `apply`. While the rebuild marker is set
    /// other appenders leave the views alone (`viewsRebuilding`), so every event after the
    /// bulk part reaches the views through this loop exactly once: the last page is read and
    /// folded in the same write transaction that records the view version, so no event slips
    /// between the final read and "views are current". A second rebuild starting meanwhile
    /// takes over (its token replaces ours): this one stops, so a cleared-and-half-refolded
    /// state is never marked current by the rebuild that lost its clearing, and waits for the
    /// other to finish (up to `takeoverWait`; then it assumes the other died and rebuilds again).
    /// `transactionBytes` bounds each bulk-load transaction; `bulkBytes` the stored bytes of the
    /// in-memory part, and (with `foldRunBytes`) of each page after it.
    public func rebuildViews(
        pageSize: Int = rebuildPageSize, bulkLimit: Int = bulkRebuildLimit, bulkBytes: Int = bulkRebuildBytes,
        transactionBytes: Int = bulkTransactionBytes, takeoverWait: Duration = .seconds(600)
    ) throws {
        guard let views else { throw StoreError.noViewMaintainer }
        let limits = RebuildLimits(pageSize: max(1, pageSize), bulkEvents: bulkLimit, bulkBytes: bulkBytes, transactionBytes: transactionBytes)
        // Whoever finishes it, the rebuild folds every event appended before it: what was
        // prepared of those for a fold is not needed, and is freed while the rebuild runs.
        let logEnd = try read { txn in try lastLocalSeq(in: txn) }
        backgroundRelease.release(appendedParts.drop(through: logEnd))
        while try !rebuildOnce(views, limits) {
            let clock = ContinuousClock()
            let deadline = clock.now + takeoverWait
            while clock.now < deadline, try storedViewVersion() != views.viewVersion {
                Thread.sleep(forTimeInterval: 0.05)
            }
            if try storedViewVersion() == views.viewVersion { return }
        }
    }

    /// What marks one rebuild's ownership of the views (`rebuildKey`): another that starts
    /// replaces it, and the first then stops.
    static func rebuildToken() -> [UInt8] {
        (0..<16).map { _ in UInt8.random(in: 0...255) }
    }

    /// Takes the views for a rebuild or a bulk catch-up (`token` marks whose): emptied, and
    /// stale until `releaseViews`, so a kill in between leaves them to the next open's rebuild.
    func claimViews(token: [UInt8], in txn: WriteTransaction) throws {
        try txn.delete(databases.meta, key: Self.viewsKey)
        for db in viewDatabases.all { try txn.clear(db) }
        try txn.put(databases.meta, key: Self.rebuildKey, value: token)
    }

    /// Hands the views back, current in version: appends fold into them again.
    func releaseViews(_ views: any ViewMaintainer, in txn: WriteTransaction) throws {
        try txn.delete(databases.meta, key: Self.rebuildKey)
        try txn.put(databases.meta, key: Self.viewsKey, value: BigEndian.bytes(views.viewVersion))
    }

    /// Whether a rebuild is under way (or was interrupted): appends then leave the views to it.
    func viewsRebuilding(in txn: some ReadableTransaction) throws -> Bool {
        try txn.contains(databases.meta, key: Self.rebuildKey)
    }

    struct RebuildLimits {
        var pageSize: Int
        var bulkEvents: Int
        var bulkBytes: Int
        var transactionBytes: Int

        static let standard = RebuildLimits(
            pageSize: rebuildPageSize, bulkEvents: bulkRebuildLimit, bulkBytes: bulkRebuildBytes, transactionBytes: bulkTransactionBytes)
    }

    /// One rebuild; false when another rebuild took over before it finished.
    private func rebuildOnce(_ views: any ViewMaintainer, _ limits: RebuildLimits) throws -> Bool {
        let token = Self.rebuildToken()
        try environment.write { txn in
            // The rebuild owns the views' position: it folds the whole log, deferred or not.
            try txn.delete(databases.meta, key: Self.foldedKey)
            try claimViews(token: token, in: txn)
        }
        guard var since = try bulkLoad(views, token: token, limits) else { return false }
        while true {
            let outcome: (done: Bool, since: UInt64)? = try environment.write { txn in
                guard try txn.get(databases.meta, key: Self.rebuildKey) == token else { return nil }
                let page = try decodedEvents(
                    after: since, through: .max, limit: limits.pageSize, maxBytes: min(limits.bulkBytes, Self.foldRunBytes), in: txn)
                guard let last = page.last else {
                    try txn.delete(databases.meta, key: Self.foldedKey)
                    try releaseViews(views, in: txn)
                    return (true, since)
                }
                try views.apply(page.events, in: txn, store: databases, views: viewDatabases)
                return (false, last)
            }
            guard let outcome else { return false }
            if outcome.done { return true }
            since = outcome.since
        }
    }

    /// Folds the first `bulkEvents` events of the log (at most about `bulkBytes` of them: a
    /// page's first event may pass the budget, then the part ends) in memory and appends the
    /// result to the emptied view databases, each table as soon as the fold has sorted it
    /// (`ReadyTables`). Returns the local seq the views now cover (0 when
    /// the maintainer has no bulk fold), nil when another rebuild took over.
    func bulkLoad(_ views: any ViewMaintainer, token: [UInt8], _ limits: RebuildLimits) throws -> UInt64? {
        // Stored bytes first, decoded once on every core: decoding page by page and joining
        // the pages copied every event (five arrays retained and released) on this thread.
        var raw: [StoredEntry] = []
        var bytes = 0
        while raw.count < limits.bulkEvents, bytes < limits.bulkBytes {
            let (after, limit) = (raw.last?.localSeq ?? 0, min(limits.pageSize, limits.bulkEvents - raw.count))
            let read = try self.read { txn in
                try appendStored(after: after, through: .max, limit: limit, maxBytes: limits.bulkBytes - bytes, to: &raw, in: txn)
            }
            guard read.count > 0 else { break }
            bytes += read.bytes
        }
        let events = Handoff(try Self.decoded(raw))
        guard let last = raw.last?.localSeq else { return 0 }
        raw = []
        // Folded on other threads, each table appended here as soon as it is sorted; the fold
        // takes the only reference to the events and frees them where it ends, off this thread.
        // A thread of its own, not a queue's: a caller on a pool thread waits for it below,
        // and a pool that had no thread left for it would never run it.
        let ready = ReadyTables()
        let (databases, viewDatabases) = (databases, viewDatabases)
        let fold = Thread {
            ready.finish(Result { try views.bulkFold(events.take() ?? [], store: databases, views: viewDatabases) { ready.put($0) } })
        }
        fold.stackSize = Self.foldStackSize
        fold.start()
        // However the appends end, the fold is waited for: it holds the events and the tables.
        defer { _ = try? ready.folded() }
        while true {
            let tables = ready.take()
            if tables.isEmpty { break }
            var position = (table: 0, entry: 0)
            while position.table < tables.count {
                let committed = position
                let next = try environment.write { txn -> (table: Int, entry: Int)? in
                    guard try txn.get(databases.meta, key: Self.rebuildKey) == token else { return nil }
                    return try Self.append(tables, from: committed, budget: max(1, limits.transactionBytes), in: txn)
                }
                guard let next else { return nil }
                position = next
            }
            backgroundRelease.release(consume tables)
        }
        return try ready.folded() ? last : 0
    }

    /// Log entries in (`after`, `through`], at most `limit` and, past the first, at most
    /// `maxBytes` of stored events, read in `txn` and decoded on every core; and the local seq
    /// of the last.
    func decodedEvents(
        after: UInt64, through: UInt64, limit: Int, maxBytes: Int, in txn: some ReadableTransaction
    ) throws -> (events: [Event], last: UInt64?) {
        var raw: [StoredEntry] = []
        try appendStored(after: after, through: through, limit: limit, maxBytes: maxBytes, to: &raw, in: txn)
        return (try Self.decoded(raw), raw.last?.localSeq)
    }

    typealias StoredEntry = (localSeq: UInt64, bytes: [UInt8])

    /// Appends the log entries in (`after`, `through`] to `raw`, at most `limit` and, past the
    /// first, at most `maxBytes` of stored events; returns how many entries and bytes.
    @discardableResult
    private func appendStored(
        after: UInt64, through: UInt64, limit: Int, maxBytes: Int, to raw: inout [StoredEntry], in txn: some ReadableTransaction
    ) throws -> (count: Int, bytes: Int) {
        guard limit > 0, after < through else { return (0, 0) }
        var (count, bytes) = (0, 0)
        try txn.forEach(databases.log, from: BigEndian.bytes(after + 1)) { entry in
            guard let localSeq = BigEndian.uint64(entry.key), localSeq > after else {
                throw StoreError.corrupt("log key of \(entry.key.count) bytes")
            }
            guard localSeq <= through, count == 0 || entry.value.count <= maxBytes - bytes else { return false }
            raw.append((localSeq, Array(entry.value)))
            count += 1
            bytes += entry.value.count
            return count < limit
        }
        return (count, bytes)
    }

    /// `raw` decoded on every core (decoding re-derives each event's ID, a SHA-256 of its
    /// canonical bytes).
    private static func decoded(_ raw: [StoredEntry]) throws -> [Event] {
        let decoded = ParallelMap.map(raw) { entry in
            Result { try StoreDatabases.decodeStored(entry.bytes, localSeq: entry.localSeq) }
        }
        return try decoded.map { try $0.get() }
    }

    /// Appends entries from `start` on until about `budget` bytes are written; returns where
    /// the next transaction continues. In a DUPFIXED database a key's values go in as one
    /// `MDB_MULTIPLE` run: each value put alone with `MDB_APPENDDUP` searched the tree from
    /// its root for the key again (postings are ~850k values under a few thousand keys at 100k
    /// events).
    private static func append(
        _ tables: [SortedEntries], from start: (table: Int, entry: Int), budget: Int, in txn: WriteTransaction
    ) throws -> (table: Int, entry: Int) {
        var position = start
        var written = 0
        var run: [UInt8] = []
        while position.table < tables.count, written < budget {
            let table = tables[position.table]
            let duplicates = table.database.spec.flags.contains(DatabaseFlags.duplicateSort)
            let fixed = table.database.spec.flags.contains(DatabaseFlags.duplicateFixed)
            try table.arena.withUnsafeBytes { arena in
                try txn.withCursor(table.database) { cursor in
                    var previousKey: UnsafeRawBufferPointer?
                    while position.entry < table.entries.count, written < budget {
                        let entry = table.entries[position.entry]
                        let key = Self.key(of: table, position.entry, arena)
                        // A key's further values append as duplicates; across a transaction
                        // boundary APPENDDUP finds the key by search and still checks the order.
                        let sameKey = duplicates && (previousKey.map { $0.elementsEqual(key) }
                            ?? (position.entry > 0 && Self.key(of: table, position.entry - 1, arena).elementsEqual(key)))
                        // The run ends where the budget would have ended a put of each value.
                        var (end, runBytes) = (position.entry + 1, table.bytes(entry) + 16)
                        while fixed, end < table.entries.count, written + runBytes < budget,
                              table.entries[end].valueCount == entry.valueCount, Self.key(of: table, end, arena).elementsEqual(key) {
                            runBytes += table.bytes(table.entries[end]) + 16
                            end += 1
                        }
                        if end - position.entry == 1 {
                            try cursor.put(key: key, value: Self.value(of: table, position.entry, arena), flags: sameKey ? .appendDuplicate : .append)
                        } else {
                            run.removeAll(keepingCapacity: true)
                            for index in position.entry..<end { run.append(contentsOf: Self.value(of: table, index, arena)) }
                            try cursor.putRun(
                                key: key, values: run, valueSize: Int(entry.valueCount),
                                flags: sameKey ? .appendDuplicate : [.append, .appendDuplicate])
                        }
                        previousKey = key
                        written += runBytes
                        position.entry = end
                    }
                }
            }
            if position.entry == table.entries.count { position = (position.table + 1, 0) }
        }
        return position
    }

    private static func key(of table: SortedEntries, _ index: Int, _ arena: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        let entry = table.entries[index]
        return UnsafeRawBufferPointer(rebasing: arena[entry.start..<(entry.start + Int(entry.keyCount))])
    }

    private static func value(of table: SortedEntries, _ index: Int, _ arena: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        let entry = table.entries[index]
        let start = entry.start + Int(entry.keyCount)
        return UnsafeRawBufferPointer(rebasing: arena[start..<(start + Int(entry.valueCount))])
    }

    /// The audit of the views: replays the log into a scratch store in a temporary directory
    /// (removed afterwards) and compares every view database with the live one, byte for byte.
    /// Views that lag (events appended deferred, not yet folded) are compared with the replay
    /// of the log up to their position: what they must be, whether or not a fold follows.
    public func verifyViews() throws -> ViewComparison {
        guard let views else { throw StoreError.noViewMaintainer }
        let clock = ContinuousClock()
        let start = clock.now
        let through = try viewProgress().folded
        let scratchDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("agora-rebuild-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: scratchDirectory) }
        let scratch = try Store(
            directory: scratchDirectory, migrations: migrations, views: views,
            configuration: EnvironmentConfiguration(
                initialMapSize: environment.mapSize, maxMapSize: environment.configuration.maxMapSize),
            limits: limits)
        var since: UInt64 = 0
        var replayed = 0
        while since < through {
            let page = try events(since: since, limit: Self.rebuildPageSize).filter { $0.localSeq <= through }
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
