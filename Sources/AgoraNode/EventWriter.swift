import AgoraCore
import AgoraStore
import AgoraSync
import AgoraWire
import CoreMetrics
import Dispatch
import Synchronization

/// The node's one writer: every LMDB write transaction of the daemon runs on its dedicated
/// serial queue, so appends from all peers (and from node protocols) are serialised without
/// blocking the cooperative thread pool, and readers (LMDB snapshots) never wait for it.
/// Callers suspend until their commit, so each sync session has at most one batch queued
/// here: the queue is bounded by the number of sessions. It remembers which local sequences
/// came from peers, so gossip announces only what was written here.
///
/// Peers' batches of `deferAtLeast` events or more (a catch-up), and any batch while the views
/// lag, are appended with the views deferred (`ViewFolding.deferred`): durable in the log at
/// once, folded later in large runs (`Store.foldPendingViews`), which write each view page once
/// for many events. A run is folded when the lag reaches `maxViewLag` (a first catch-up's whole
/// backlog, see `foldDue`), and when no catch-up batch has come for `idleFoldDelay` (then run
/// after run until the views are current), so the views are current soon after a catch-up
/// ends, however steadily gossip goes on. Local appends
/// (publishes, reputation events) stay immediate: they fold the lag first, in their commit.
public final class EventWriter: SyncSink {
    public let store: Store
    let watcher: LogWatcher
    private let queue = DispatchQueue(label: "agora.node.writer")
    /// Written and read only on `queue`; the mutex just makes that checkable.
    private let network = Mutex(NetworkAppends())
    /// Written on `queue` in each commit's turn; read by sync's serving side (any thread).
    private let peerEchoes = Mutex(PeerEchoes())
    /// Catch-up batches (`deferAtLeast` events or more) appended so far: an idle fold runs only
    /// if none came since it was scheduled. Gossip does not count: a network that never goes
    /// quiet for `idleFoldDelay` would otherwise keep a backlog out of the views up to the lag
    /// bound (`foldDue`), 2M events on a fresh node. Written and read only on `queue`.
    private let catchUpBatches = Mutex<UInt64>(0)
    /// Forks found while appending what peers sent: the second event signed for a taken
    /// position, and the ID of the one this store holds. Bounded (newest kept).
    let forks: AsyncStream<(conflicting: Event, accepted: EventID)>
    private let forkQueue: AsyncStream<(conflicting: Event, accepted: EventID)>.Continuation

    init(store: Store, watcher: LogWatcher) {
        self.store = store
        self.watcher = watcher
        (forks, forkQueue) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(256))
    }

    /// Appends `events` (verifying chains and signatures) with `position` for `peer` in the
    /// same commit (the store records it only if no event was rejected).
    public func append(_ events: [Event], recording position: UInt64?, for peer: PeerID) async throws -> SyncAppendReport {
        let positions = position.flatMap { SyncPosition(peer: peer.bytes, localSeq: $0) }.map { [$0] } ?? []
        let outcomes = try await appendFromNetwork(events, recording: positions, from: peer)
        var report = SyncAppendReport()
        for (index, outcome) in outcomes.enumerated() {
            switch outcome {
            case .appended:
                report.appended += 1
            case .duplicate:
                report.duplicates += 1
            case .equivocation:
                report.rejected += 1
            case .rejected(.badSignature):
                if report.forged == nil { report.forged = (events[index].author, events[index].seq) }
            case .rejected:
                report.rejected += 1
            }
        }
        return report
    }

    /// Peers' batches from this size on are appended with the views deferred; smaller ones
    /// (gossip, a caught-up session's news) fold at once when nothing is pending: one commit.
    static let deferAtLeast = 64
    /// Pending events at which a fold runs even while appends keep coming.
    static let maxViewLag = UInt64(Store.foldRunLimit)

    /// Whether the lag calls for a fold while appends keep coming: at `maxViewLag`, except
    /// while the views hold nothing yet (a first catch-up). Those wait for the whole backlog,
    /// up to what one bulk fold takes, since `foldPendingViews` folds it in bulk at once: at 1M
    /// events that reaches the views about 3× sooner than runs folded along the way
    /// (Benchmarks/README.md, "Views: a first catch-up folded in bulk").
    static func foldDue(_ store: Store) throws -> Bool {
        let progress = try store.viewProgress()
        guard !progress.rebuilding else { return false }
        return progress.lag >= (progress.folded == 0 ? UInt64(Store.bulkRebuildLimit) : maxViewLag)
    }
    /// How long the writer waits without a network append before folding what is pending.
    static let idleFoldDelay = DispatchTimeInterval.milliseconds(50)

    static let appended = Counter(label: "agora_events_in_total", dimensions: [("outcome", "appended")])
    static let duplicates = Counter(label: "agora_events_in_total", dimensions: [("outcome", "duplicate")])
    static let rejected = Counter(label: "agora_events_in_total", dimensions: [("outcome", "rejected")])

    /// Appends events `peer` sent (sync or gossip) and marks their local sequences as not ours
    /// to announce and as the peer's echoes, in the same queue turn as the commit.
    func appendFromNetwork(_ events: [Event], recording positions: [SyncPosition] = [], from peer: PeerID) async throws -> [AppendOutcome] {
        let outcomes = try await perform { store in
            let lagging = try store.pendingViewEvents() > 0
            let folding: ViewFolding = events.count < Self.deferAtLeast && !lagging ? .immediate : .deferred
            let outcomes = try store.append(events, verification: .chain, recording: positions, views: folding)
            if folding == .deferred { try self.scheduleFolds(catchUp: events.count >= Self.deferAtLeast) }
            var appended: [UInt64] = []
            for case .appended(let localSeq) in outcomes { appended.append(localSeq) }
            self.network.withLock { network in
                for localSeq in appended { network.record(localSeq) }
            }
            self.peerEchoes.withLock { $0.record(appended, from: peer) }
            return outcomes
        }
        var newest: UInt64 = 0
        var counts = (appended: 0, duplicates: 0, rejected: 0)
        for (index, outcome) in outcomes.enumerated() {
            switch outcome {
            case .appended(let localSeq):
                newest = max(newest, localSeq)
                counts.appended += 1
            case .duplicate:
                counts.duplicates += 1
            case .equivocation(let accepted):
                counts.rejected += 1
                forkQueue.yield((events[index], accepted))
            case .rejected:
                counts.rejected += 1
            }
        }
        Self.appended.increment(by: counts.appended)
        Self.duplicates.increment(by: counts.duplicates)
        Self.rejected.increment(by: counts.rejected)
        if newest > 0 { await watcher.advance(to: newest) }
        return outcomes
    }

    /// The ranges of local sequences in (after, through] that did not come from peers; forgets
    /// what it returns. Runs on the queue, so every commit of this writer up to `through` has
    /// been recorded by then.
    func localAppends(after: UInt64, through: UInt64) async throws -> [ClosedRange<UInt64>] {
        try await perform { _ in self.network.withLock { $0.take(after: after, through: through) } }
    }

    /// The local sequences in (after, upTo] appended from what `peer` sent: sync leaves them
    /// out of the changes it serves that peer (see `PeerEchoes`).
    func echoes(of peer: PeerID, after: UInt64, upTo: UInt64) -> [ClosedRange<UInt64>] {
        peerEchoes.withLock { $0.echoes(of: peer, after: after, upTo: upTo) }
    }

    /// Forgets what `peer` sent, when it disconnects.
    func forgetEchoes(of peer: PeerID) {
        peerEchoes.withLock { $0.forget(peer) }
    }

    /// After a deferred append, on `queue`: a fold now if the lag reached `maxViewLag` (queued
    /// behind the batches already waiting), and a fold once catch-up batches stop coming.
    private func scheduleFolds(catchUp: Bool) throws {
        let generation = catchUpBatches.withLock { count in
            if catchUp { count += 1 }
            return count
        }
        if try Self.foldDue(store) {
            queue.async { [self] in
                // Fold errors surface in the next immediate append, which folds the same events.
                if (try? Self.foldDue(store)) == true { _ = try? store.foldPendingViews() }
            }
        }
        queue.asyncAfter(deadline: .now() + Self.idleFoldDelay) { [self] in foldWhileIdle(since: generation) }
    }

    /// Folds run after run, each its own turn on `queue`, while no catch-up batch came since
    /// `generation` (one that did scheduled its own idle fold).
    private func foldWhileIdle(since generation: UInt64) {
        guard catchUpBatches.withLock({ $0 }) == generation, store.views != nil else { return }
        guard let pending = try? store.foldPendingViews(), pending > 0 else { return }
        queue.async { [self] in foldWhileIdle(since: generation) }
    }

    /// Folds everything pending into the views (run by run, appends interleaving): for a caller
    /// that reads the views next, such as an install that has just caught up.
    public func foldViews() async throws {
        guard store.views != nil else { return }
        while try await perform({ store in try store.foldPendingViews() }) > 0 {}
    }

    /// Starts folding what a previous run of the node left pending, once the writer is idle.
    func resumeFolding() {
        queue.async { [self] in
            let generation = catchUpBatches.withLock { $0 }
            queue.asyncAfter(deadline: .now() + Self.idleFoldDelay) { [self] in foldWhileIdle(since: generation) }
        }
    }

    /// Runs `body` on the writer's queue: for the node's other small writes (known peers).
    public func perform<T: Sendable>(_ body: @escaping @Sendable (Store) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { [store] in
                continuation.resume(with: Result { try body(store) })
            }
        }
    }
}
