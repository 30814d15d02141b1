import AgoraCore
import AgoraStore
import AgoraViews
import AgoraWire
import CoreMetrics
import Foundation
import Logging
import Synchronization

/// The node's reputation log: what it observes about peers (retrieval outcomes, penalties for
/// bad data and protocol abuse) and equivocation it detects become events signed by the
/// reporter key and appended to its own feed. Observations wait in a bounded buffer
/// (`ReputationBuffer`) and are written in one transaction through the node's writer every
/// `flushInterval`, or at once after a penalty; the registry views fold them into the
/// reporter's `PeerScore`s, which rank providers (`PeerSelection`). After each write, peers
/// whose score now marks them as cut off are disconnected and banned.
///
/// Without a reporter key (a client node that has no home key to sign with) nothing is
/// written and every peer ranks as unknown.
public final class Reputation: Sendable {
    public let reporter: Identity?
    let signingGuard: (any FeedSigningGuard)?
    let writer: EventWriter
    let flushInterval: Duration
    private let buffer: Mutex<ReputationBuffer>
    private let wake: AsyncStream<Void>.Continuation
    private let wakes: AsyncStream<Void>
    /// Why the last flush was refused by `signingGuard` (nil after a write), so a refusal is
    /// logged once per spell and shown in the node's status.
    private let refusal = Mutex<FeedSigningRefused?>(nil)
    /// Forks already reported in this run, so one fork met again and again is reported once.
    private let reported = Mutex<Set<[UInt8]>>([])
    static let maxReportedForks = 4096
    static let written = Counter(label: "agora_reputation_events_total", dimensions: [("outcome", "written")])
    static let dropped = Counter(label: "agora_reputation_events_total", dimensions: [("outcome", "dropped")])

    init(
        reporter: Identity?, signingGuard: (any FeedSigningGuard)? = nil, writer: EventWriter, flushInterval: Duration = .seconds(2),
        limits: ReputationBuffer.Limits = .init()
    ) {
        self.reporter = reporter
        self.signingGuard = signingGuard
        self.writer = writer
        self.flushInterval = flushInterval
        self.buffer = Mutex(ReputationBuffer(limits: limits))
        (wakes, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// A retrieval from `peer` of `digest`; penalties flush at once.
    public func observe(_ peer: PeerID, digest: [UInt8], outcome: RetrievalObserved.Outcome, bytes: Int = 0, latency: Duration = .zero) {
        let micros = Double(latency.components.seconds) * 1e6 + Double(latency.components.attoseconds) / 1e12
        let body = RetrievalObserved(
            peer: peer.bytes, digest: digest, outcome: outcome, bytes: UInt64(clamping: bytes),
            latencyMicros: micros.isFinite ? UInt64(min(max(micros, 0), 1e15)) : 0)
        add(.retrievalObserved(body), subject: peer.bytes, urgent: outcome == .digestMismatch)
    }

    /// Proof of misbehaviour by `peer` (bad data, forged events, protocol abuse).
    public func penalise(_ peer: PeerID, reason: String, evidence: [UInt8] = []) {
        let reason = String(reason.utf8.prefix(256)) ?? "misbehaviour"
        add(.peerPenalised(PeerPenalised(peer: peer.bytes, reason: reason, evidence: Array(evidence.prefix(64)))), subject: peer.bytes, urgent: true)
    }

    /// A fork this node's writer found: `conflicting` arrived for a position `accepted` holds.
    func equivocation(_ conflicting: Event, accepted: Event) {
        guard let report = EquivocationReport(conflicting, accepted), report.first.count + report.second.count < Event.maxSize - 1024 else { return }
        var key = conflicting.author.bytes
        key.append(contentsOf: withUnsafeBytes(of: conflicting.seq.bigEndian, Array.init))
        let fresh = reported.withLock { set in
            guard set.count < Self.maxReportedForks else { return false }
            return set.insert(key).inserted
        }
        guard fresh else { return }
        add(.equivocationReported(report), subject: conflicting.author.bytes, urgent: true)
    }

    private func add(_ body: EventBody, subject: [UInt8], urgent: Bool) {
        guard reporter != nil else { return }
        let admitted = buffer.withLock { $0.add(body, subject: subject, now: .now) }
        guard admitted else {
            Self.dropped.increment()
            return
        }
        if urgent { wake.yield() }
    }

    /// Why observations are not being signed (the store lacks part of the reporter's feed).
    public var held: FeedSigningRefused? { refusal.withLock { $0 } }

    /// What this node's own reports say about `peer`; nil without a reporter or a report.
    public func score(of peer: PeerID, store: Store) -> PeerScore? {
        guard let reporter else { return nil }
        return try? store.peerScore(of: peer.bytes, reportedBy: reporter.publicKey)
    }

    /// `peers` in the order to ask them (see `PeerSelection.rank`).
    func rank(_ peers: [PeerID], store: Store, rtts: [PeerID: Duration]) -> [PeerID] {
        PeerSelection.rank(
            peers.map { PeerSelection.Candidate(peer: $0, score: score(of: $0, store: store), rtt: rtts[$0]) }, now: Self.now())
    }

    /// Writes what is pending every `flushInterval` (sooner after a penalty) until cancelled,
    /// then once more; after each write, cuts off the peers its reports condemn.
    func run(store: Store, cutOff: @escaping @Sendable (PeerID, PeerScore) async -> Void, logger: Logger) async {
        guard let reporter else {
            while !Task.isCancelled { try? await Task.sleep(for: .seconds(3600)) }
            return
        }
        var ticks = wakes.makeAsyncIterator()
        while !Task.isCancelled {
            let sleeper = Task { [flushInterval, wake] in
                try? await Task.sleep(for: flushInterval)
                wake.yield()
            }
            _ = await ticks.next()
            sleeper.cancel()
            await flush(reporter: reporter, store: store, cutOff: cutOff, logger: logger)
        }
        await flush(reporter: reporter, store: store, cutOff: cutOff, logger: logger)
    }

    /// The wall clock in milliseconds since 1970: event timestamps, and the moment scores are
    /// weighed at.
    static func now() -> UInt64 {
        UInt64(max(0, Date().timeIntervalSince1970 * 1000))
    }

    /// Writes the pending observations in one transaction, then cuts off whom they condemn.
    func flush(reporter: Identity, store: Store, cutOff: @Sendable (PeerID, PeerScore) async -> Void, logger: Logger) async {
        let bodies = buffer.withLock { $0.take() }
        guard !bodies.isEmpty else { return }
        let timestamp = Self.now()
        do {
            let newest = try await writer.perform { [signingGuard] store in
                try store.appendSigned(bodies, by: reporter, timestamp: timestamp, signingGuard: signingGuard)
                return try store.lastLocalSeq()
            }
            // Gossip announces what the writer did not receive from a peer: these, too.
            await writer.watcher.advance(to: newest)
            Self.written.increment(by: bodies.count)
            if refusal.withLock({ $0.take() }) != nil {
                logger.notice("the store holds this node's feed again: reputation events are recorded")
            }
        } catch let refused as FeedSigningRefused {
            // Sync restores the feed from peers; until then observations cannot be signed.
            Self.dropped.increment(by: bodies.count)
            if refusal.withLock({ held in defer { held = refused }; return held }) == nil { logger.warning("\(refused)") }
            return
        } catch {
            logger.warning("cannot record \(bodies.count) reputation events: \(error)")
            return
        }
        var peers: Set<[UInt8]> = []
        for body in bodies {
            switch body {
            case .retrievalObserved(let observation): peers.insert(observation.peer)
            case .peerPenalised(let penalty): peers.insert(penalty.peer)
            default: break
            }
        }
        for bytes in peers {
            guard let peer = try? PeerID(bytes: bytes), let score = score(of: peer, store: store),
                  PeerStanding(score, now: timestamp) == .cutOff else { continue }
            await cutOff(peer, score)
        }
    }
}

/// Which key signs a node's reputation events.
public enum ReputationSigner: Sendable {
    /// The node's libp2p key (a daemon).
    case nodeKey
    /// Another key: a client node runs under a throwaway libp2p identity but reports with the
    /// home's node key, so its observations land in the daemon's feed and count for its choices.
    case key(Identity)
    /// Record nothing: a throwaway key would start a new feed for every run.
    case none

    func key(node: Identity) -> Identity? {
        switch self {
        case .nodeKey: node
        case .key(let identity): identity
        case .none: nil
        }
    }
}
