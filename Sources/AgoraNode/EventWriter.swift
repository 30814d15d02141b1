import AgoraCore
import AgoraStore
import AgoraSync
import AgoraWire
import CoreMetrics
import Dispatch

/// The node's one writer: every LMDB write transaction of the daemon runs on its dedicated
/// serial queue, so appends from all peers (and from node protocols) are serialised without
/// blocking the cooperative thread pool, and readers (LMDB snapshots) never wait for it.
/// Callers suspend until their commit, so each sync session has at most one batch queued
/// here: the queue is bounded by the number of sessions.
public final class EventWriter: SyncSink {
    public let store: Store
    let watcher: LogWatcher
    private let queue = DispatchQueue(label: "agora.node.writer")

    init(store: Store, watcher: LogWatcher) {
        self.store = store
        self.watcher = watcher
    }

    /// Appends `events` (verifying chains and signatures) with `position` for `peer` in the
    /// same commit.
    public func append(_ events: [Event], recording position: UInt64?, for peer: PeerID) async throws -> SyncAppendReport {
        let positions = position.flatMap { SyncPosition(peer: peer.bytes, localSeq: $0) }.map { [$0] } ?? []
        let outcomes = try await perform { store in
            try store.append(events, verification: .chain, recording: positions)
        }
        var report = SyncAppendReport()
        var newest: UInt64 = 0
        for (event, outcome) in zip(events, outcomes) {
            switch outcome {
            case .appended(let localSeq):
                report.appended += 1
                newest = max(newest, localSeq)
            case .duplicate:
                report.duplicates += 1
            case .equivocation:
                report.rejected += 1
            case .rejected(.badSignature):
                if report.forged == nil { report.forged = (event.author, event.seq) }
            case .rejected:
                report.rejected += 1
            }
        }
        if newest > 0 { await watcher.advance(to: newest) }
        Self.appended.increment(by: report.appended)
        Self.duplicates.increment(by: report.duplicates)
        Self.rejected.increment(by: report.rejected + (report.forged == nil ? 0 : 1))
        return report
    }

    static let appended = Counter(label: "agora_events_in_total", dimensions: [("outcome", "appended")])
    static let duplicates = Counter(label: "agora_events_in_total", dimensions: [("outcome", "duplicate")])
    static let rejected = Counter(label: "agora_events_in_total", dimensions: [("outcome", "rejected")])

    /// Runs `body` on the writer's queue: for the node's other small writes (known peers).
    public func perform<T: Sendable>(_ body: @escaping @Sendable (Store) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { [store] in
                continuation.resume(with: Result { try body(store) })
            }
        }
    }
}
