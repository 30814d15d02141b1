import AgoraCore

extension Store {
    /// Folds the backlog of views that hold nothing yet (a mirror's first catch-up, an import
    /// into a new home) as a rebuild does: in memory on every core, appended in key order
    /// (`bulkLoad`). Incremental runs copy nearly one leaf per event per tree once the trees
    /// are large (15 KB written per event at 1M), the bulk fold writes each page once.
    ///
    /// While it runs the views are marked as a rebuild's (`rebuildKey`, stored view version
    /// removed): appends leave them alone, and a kill leaves them stale, so the next open
    /// rebuilds them. A second rebuild starting meanwhile takes over, and this one stops. When
    /// it ends, the views hold the log through the last event it folded (at most
    /// `bulkRebuildLimit`); events appended meanwhile are pending for the next runs. If it
    /// fails, the views are emptied again, at position 0 as before. Returns the events still
    /// pending, or nil when it folded nothing (the position moved, or the maintainer folded
    /// nothing in bulk): the caller then folds a run as usual.
    func foldFirstInBulk(_ views: any ViewMaintainer) throws -> UInt64? {
        let token = Self.rebuildToken()
        let started = try environment.write { txn -> Bool in
            guard try !viewsRebuilding(in: txn), try pendingPosition(in: txn) == 0 else { return false }
            // The fold of no event, so empty; cleared all the same, since `MDB_APPEND` needs it.
            try claimViews(token: token, in: txn)
            return true
        }
        guard started else { return nil }
        let last: UInt64?
        do {
            last = try bulkLoad(views, token: token, .standard)
        } catch {
            _ = try? endBulkCatchUp(views, token: token, folded: 0)
            throw error
        }
        guard let last else { return 0 }
        backgroundRelease.release(appendedParts.drop(through: last))
        let pending = try endBulkCatchUp(views, token: token, folded: last)
        return last > 0 ? pending : nil
    }

    /// Ends a bulk catch-up still owning the views: they hold the log through `folded` (0:
    /// emptied again). Returns the events pending past it (0 when a rebuild took over).
    private func endBulkCatchUp(_ views: any ViewMaintainer, token: [UInt8], folded: UInt64) throws -> UInt64 {
        try environment.write { txn in
            guard try txn.get(databases.meta, key: Self.rebuildKey) == token else { return 0 }
            if folded == 0 {
                for db in viewDatabases.all { try txn.clear(db) }
            }
            try releaseViews(views, in: txn)
            return try advance(to: folded, in: txn)
        }
    }
}
