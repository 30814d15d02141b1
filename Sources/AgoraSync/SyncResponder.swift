import AgoraCore

/// The server side of `/agora/sync/1.0.0`: one request in, one bounded reply out, read from
/// a `SyncLogSource` snapshot. The only state is what the client said it holds (`held`, one
/// per stream), so the shell may answer requests one by one.
public enum SyncResponder {
    public enum Answer: Sendable, Equatable {
        case reply(SyncResponse)
        /// A changes request with nothing new yet that asked to wait: retry after the log
        /// grows past `after` or `millis` pass.
        case waitForChanges(after: UInt64, millis: UInt32)
    }

    public static func answer(
        _ request: SyncRequest, source: some SyncLogSource, limits: SyncLimits, mayWait: Bool, held: inout HeldFeeds
    ) throws -> Answer {
        switch request {
        case .changes(let after, let upTo, let wait):
            guard after <= upTo else { return .reply(.failure("changes range (\(after), \(upTo)] is empty")) }
            let page = try source.changes(
                after: after, upTo: upTo, maxEvents: limits.maxEventsPerBatch, maxBytes: limits.maxBatchBytes, held: held.through)
            if page.events.isEmpty, page.held.isEmpty, mayWait, wait > 0, page.latest <= after {
                return .waitForChanges(after: after, millis: wait)
            }
            return .reply(.storedEvents(page.events, through: max(page.through, after), latest: page.latest, held: page.held))
        case .holdings(let feeds):
            return .reply(.kept(held.add(feeds, limit: limits.maxHeldFeeds)))
        case .heads(let after):
            let (events, more) = try source.heads(after: after, maxCount: limits.maxHeadsPerPage, maxBytes: limits.maxBatchBytes)
            return .reply(.heads(events, more: more))
        case .range(let author, let from, let to):
            guard from >= 1, from <= to else { return .reply(.failure("feed range [\(from), \(to)] is empty")) }
            let events = try source.feedRange(
                author: author, from: from, to: to, maxEvents: limits.maxEventsPerBatch, maxBytes: limits.maxBatchBytes)
            return .reply(.events(events, through: events.last?.seq ?? 0, latest: 0))
        }
    }
}
