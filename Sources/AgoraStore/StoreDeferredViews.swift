import AgoraCore

/// When an append folds its events into the views.
public enum ViewFolding: Sendable, Hashable {
    /// In the append's own transaction, after every event appended deferred before it: the
    /// views are current when it commits.
    case immediate
    /// Later: the events are durable (log, event index, feed entries and heads, sync positions,
    /// blobs) but the views stay at their position until `Store.foldPendingViews` folds them.
    /// For a writer with batches queued (a catch-up): one large fold writes each view page
    /// once for many events, where a fold per batch writes it again and again.
    case deferred
}

/// How far the views hold the log.
public struct ViewProgress: Sendable, Hashable {
    /// The local seq through which the views are the fold of the log (0 while a rebuild owns
    /// them or they are stale).
    public let folded: UInt64
    /// The newest local seq of the log.
    public let logEnd: UInt64
    /// A rebuild is under way (or was interrupted): it folds everything, so nothing is pending
    /// for `foldPendingViews`.
    public let rebuilding: Bool

    /// Events appended but not yet in the views.
    public var lag: UInt64 { logEnd - min(folded, logEnd) }
}

extension Store {
    /// Meta key of the views' position: the local seq (u64 BE) through which they are folded,
    /// present only while the views lag the log. Absent means the views hold the whole log —
    /// what every store written before deferred folding has, and what a caught-up fold or an
    /// immediate append leaves — so appends that never defer write nothing more.
    static let foldedKey = Array("viewsFolded".utf8)

    /// Events `foldPendingViews` folds per transaction by default (Benchmarks/README.md,
    /// "Views folded behind the log": bytes written per event keep falling with the run, but
    /// the fold's CPU per event rises past ~20k, and memory and the time other writers wait
    /// grow with it).
    public static let foldRunLimit = 20_000
    /// Stored bytes one fold run reads at most (past its first event): events are up to
    /// `Event.maxSize` each, so 20k of them could otherwise hold gigabytes in memory.
    public static let foldRunBytes = 64 << 20
    /// Pending events from which views that hold nothing yet are folded in bulk
    /// (`foldFirstInBulk`): one default fold run, the size at which the bulk fold was already
    /// the faster (Benchmarks/README.md, "Views: a first catch-up folded in bulk").
    public static let bulkCatchUpMinimum = foldRunLimit
    /// Pending events an immediate append folds in its own transaction at most: with events
    /// of `Event.maxSize`, `foldRunBytes`. A longer lag is folded first in runs of its own.
    static let appendFoldLimit = UInt64(foldRunBytes / Event.maxSize)

    /// The views' position when they lag; nil when they hold the whole log.
    func pendingPosition(in txn: some ReadableTransaction) throws -> UInt64? {
        try txn.get(databases.meta, key: Self.foldedKey).map { bytes in
            guard let position = BigEndian.uint64(bytes), bytes.count == 8 else {
                throw StoreError.corrupt("views position of \(bytes.count) bytes")
            }
            return position
        }
    }

    /// The local sequence of the newest log entry in `txn`'s snapshot; 0 when the log is empty.
    func lastLocalSeq(in txn: some ReadableTransaction) throws -> UInt64 {
        try txn.withCursor(databases.log) { cursor in try cursor.last().flatMap { BigEndian.uint64($0.key) } ?? 0 }
    }

    /// Where the views stand against the log, in one snapshot.
    public func viewProgress() throws -> ViewProgress {
        guard let views else { throw StoreError.noViewMaintainer }
        return try read { txn in
            let end = try lastLocalSeq(in: txn)
            let version = try txn.get(databases.meta, key: Self.viewsKey).flatMap { BigEndian.uint32($0) }
            if try viewsRebuilding(in: txn) || version != views.viewVersion {
                return ViewProgress(folded: 0, logEnd: end, rebuilding: true)
            }
            return ViewProgress(folded: try pendingPosition(in: txn) ?? end, logEnd: end, rebuilding: false)
        }
    }

    /// Events waiting for `foldPendingViews` (0 when none, or while a rebuild owns the views).
    public func pendingViewEvents() throws -> UInt64 {
        try read { txn in
            guard try !viewsRebuilding(in: txn), let position = try pendingPosition(in: txn) else { return 0 }
            let end = try lastLocalSeq(in: txn)
            return end - min(position, end)
        }
    }

    /// Folds the next run of at most `maxEvents` events past the views' position into the views,
    /// in one write transaction that also advances the position; returns the events still
    /// pending. The run is read and decoded, and the maintainer's transaction-free work done
    /// (`ViewMaintainer.prepare`), before the transaction opens, on every core; if another
    /// writer moved the position meanwhile the run is read again inside the transaction and
    /// applied unprepared. Does nothing while a rebuild owns the views (it folds everything).
    /// A kill at any point leaves the views and their position as the last commit left them.
    /// A run LMDB cannot hold in one transaction is folded in halves: the pages a run dirties
    /// grow with the store (a run's packages are scattered over the trees, so nearly every leaf
    /// it touches is copied: 3 KB per event at 100k events, 15 KB at 1M), and a run that fits
    /// a small store would otherwise fail on a large one forever, leaving the views behind. The
    /// store remembers the half (`FoldRunCap`), so later runs do not overflow first again.
    /// When more is pending past the run, the next run is read and prepared on another thread
    /// while this one's transaction runs (`FoldAhead`). Views that hold nothing yet, with at
    /// least `bulkAtLeast` events pending (a mirror's first catch-up), take the backlog the way
    /// a rebuild does instead (`foldFirstInBulk`).
    @discardableResult
    public func foldPendingViews(
        maxEvents: Int = foldRunLimit, maxBytes: Int = foldRunBytes, bulkAtLeast: Int = bulkCatchUpMinimum
    ) throws -> UInt64 {
        let (events, bytes) = foldRunCap.bounded(events: max(1, maxEvents), bytes: maxBytes)
        do {
            return try foldRun(maxEvents: events, maxBytes: bytes, bulkAtLeast: bulkAtLeast)
        } catch StoreError.lmdb(let error) where error.isTransactionFull && events > 1 {
            foldRunCap.overflowed(events: events, bytes: bytes)
            return try foldPendingViews(maxEvents: events / 2, maxBytes: bytes / 2, bulkAtLeast: bulkAtLeast)
        }
    }

    private func foldRun(maxEvents limit: Int, maxBytes: Int, bulkAtLeast: Int) throws -> UInt64 {
        guard let views else { throw StoreError.noViewMaintainer }
        let snapshot: (start: UInt64, end: UInt64)? = try read { txn in
            guard try !viewsRebuilding(in: txn), let start = try pendingPosition(in: txn) else { return nil }
            return (start, try lastLocalSeq(in: txn))
        }
        guard let (start, end) = snapshot else { return 0 }
        if start == 0, end >= UInt64(max(1, bulkAtLeast)), views.foldsInBulk, let pending = try foldFirstInBulk(views) {
            return pending
        }
        let run = try foldAhead.take(start: start, limit: limit, maxBytes: maxBytes, logEnd: end)
            ?? preparedRun(start: start, limit: limit, maxBytes: maxBytes)
        if let last = run.last, last < run.logEnd {
            foldAhead.prepare(start: last, limit: limit, maxBytes: maxBytes) { [self] in
                try? preparedRun(start: last, limit: limit, maxBytes: maxBytes)
            }
        }
        let folded = Result { () throws -> UInt64 in
            try environment.write { txn in
                guard try !viewsRebuilding(in: txn), let position = try pendingPosition(in: txn) else { return 0 }
                var events = run.events
                var last = run.last ?? start
                var preparation = run.prepared
                if position != start {
                    let entries = try decodedEvents(after: position, through: .max, limit: limit, maxBytes: maxBytes, in: txn)
                    events = entries.events
                    last = entries.last ?? position
                    preparation = nil
                }
                try views.apply(events, prepared: preparation, in: txn, store: databases, views: viewDatabases)
                return try advance(to: last, in: txn)
            }
        }
        backgroundRelease.release(consume run)
        return try folded.get()
    }

    /// The run past `start`, read in one snapshot and prepared (`ViewMaintainer.prepare`) on
    /// every core, taking the parts made of its batches as they were appended (`AppendedParts`).
    private func preparedRun(start: UInt64, limit: Int, maxBytes: Int) throws -> FoldRun {
        guard let views else { throw StoreError.noViewMaintainer }
        let (events, last, logEnd) = try read { txn in
            let page = try decodedEvents(after: start, through: .max, limit: limit, maxBytes: maxBytes, in: txn)
            return (page.events, page.last, try lastLocalSeq(in: txn))
        }
        let parts = appendedParts.take(events, after: start, through: last ?? start)
        return FoldRun(
            start: start, limit: limit, maxBytes: maxBytes, events: events, last: last, logEnd: logEnd,
            prepared: views.prepare(events, reusing: parts, store: databases, views: viewDatabases))
    }

    /// Records that the views hold the log through `folded`; returns the events still pending.
    func advance(to folded: UInt64, in txn: WriteTransaction) throws -> UInt64 {
        let end = try lastLocalSeq(in: txn)
        if folded >= end {
            _ = try txn.delete(databases.meta, key: Self.foldedKey)
            return 0
        }
        try txn.put(databases.meta, key: Self.foldedKey, value: BigEndian.bytes(folded))
        return end - folded
    }

    /// Before an immediate append: folds, in runs of their own, pending events beyond
    /// `appendFoldLimit`, so the append's transaction folds a bounded lag.
    func foldLongLag() throws {
        while try pendingViewEvents() > Self.appendFoldLimit {
            try foldPendingViews()
        }
    }

    /// In an append's transaction, before its events are written: the events appended deferred
    /// that an immediate append folds with its own (empty when the views hold the log), and
    /// what the views' position becomes.
    func pendingForAppend(_ folding: ViewFolding, logEnd: UInt64, appending: Bool, in txn: WriteTransaction) throws -> [Event] {
        let position = try pendingPosition(in: txn)
        switch folding {
        case .immediate:
            guard let position else { return [] }
            _ = try txn.delete(databases.meta, key: Self.foldedKey)
            return try decodedEvents(after: position, through: logEnd, limit: .max, maxBytes: .max, in: txn).events
        case .deferred:
            if position == nil, appending { try txn.put(databases.meta, key: Self.foldedKey, value: BigEndian.bytes(logEnd)) }
            return []
        }
    }
}
