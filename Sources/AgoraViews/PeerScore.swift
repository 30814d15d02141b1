import AgoraCore
import AgoraStore

/// What one reporter's events say about one peer: the reputation view behind peer selection.
/// Scores are kept per reporter because anyone can sign an observation: a node chooses peers
/// by its own reports only, so a stranger's events cannot make it shun an honest peer.
///
/// Only sums and counts are stored, so the fold is commutative and any arrival order gives the
/// same record; rates and means are derived on read. Sums saturate at UInt64.max (still
/// commutative and associative): a peer claiming absurd byte counts cannot wrap a total to a
/// small one.
public struct PeerScore: Sendable, Hashable {
    public var peer: [UInt8]
    /// The public key of the node whose feed holds the observations.
    public var reporter: [UInt8]
    public var successes: UInt64 = 0
    public var digestMismatches: UInt64 = 0
    public var timeouts: UInt64 = 0
    public var refusals: UInt64 = 0
    public var otherFailures: UInt64 = 0
    /// Bytes served in successful retrievals.
    public var bytesServed: UInt64 = 0
    /// Sum of latencies of successful retrievals, for the mean.
    public var latencyMicrosTotal: UInt64 = 0
    public var penalties: UInt64 = 0

    public init(peer: [UInt8], reporter: [UInt8]) {
        self.peer = peer
        self.reporter = reporter
    }

    /// The view's key: reporter, then peer, so one reporter's scores are one key range.
    public var key: [UInt8] { reporter + peer }

    public var attempts: UInt64 { successes &+ failures }
    public var failures: UInt64 { digestMismatches &+ timeouts &+ refusals &+ otherFailures }

    public var successRate: Double {
        attempts == 0 ? 0 : Double(successes) / Double(attempts)
    }

    public var meanLatencyMicros: UInt64? {
        successes == 0 ? nil : latencyMicrosTotal / successes
    }

    /// A single number for ranking peers, in [0, 1]. The success rate is smoothed with one
    /// imagined success and one failure so a peer with no history sits at 0.5, and each
    /// penalty or bad digest (proof of bad data, not just bad luck) halves it.
    public var score: Double {
        let smoothed = (Double(successes) + 1) / (Double(attempts) + 2)
        let strikes = min(penalties &+ digestMismatches, 64)
        var value = smoothed
        for _ in 0..<strikes { value /= 2 }
        return value
    }

    /// Adds one event's effect; events about other peers or of other kinds are ignored.
    public mutating func apply(_ body: EventBody) {
        switch body {
        case .retrievalObserved(let observation) where observation.peer == peer:
            switch observation.outcome {
            case .success:
                Self.add(1, to: &successes)
                Self.add(observation.bytes, to: &bytesServed)
                Self.add(observation.latencyMicros, to: &latencyMicrosTotal)
            case .digestMismatch: Self.add(1, to: &digestMismatches)
            case .timeout: Self.add(1, to: &timeouts)
            case .refused: Self.add(1, to: &refusals)
            case .other: Self.add(1, to: &otherFailures)
            }
        case .peerPenalised(let penalty) where penalty.peer == peer:
            Self.add(1, to: &penalties)
        default:
            break
        }
    }

    private static func add(_ amount: UInt64, to total: inout UInt64) {
        let (sum, overflow) = total.addingReportingOverflow(amount)
        total = overflow ? .max : sum
    }

    public func encoded() -> [UInt8] {
        var writer = CanonicalWriter(capacity: 96)
        writer.bytes(1, peer)
        writer.varint(2, successes)
        writer.varint(3, digestMismatches)
        writer.varint(4, timeouts)
        writer.varint(5, refusals)
        writer.varint(6, otherFailures)
        writer.varint(7, bytesServed)
        writer.varint(8, latencyMicrosTotal)
        writer.varint(9, penalties)
        writer.bytes(10, reporter)
        return writer.bytes
    }

    /// Peer IDs are multihashes of keys; anything longer than this is not a peer ID.
    public static let maxPeerLength = 128

    public init(decoding bytes: some Collection<UInt8>) throws(ViewDecodeError) {
        guard bytes.count <= 320 else { throw ViewDecodeError("peer score record of \(bytes.count) bytes") }
        let reader = try ViewRecord.reader(bytes)
        guard reader.unknown(known: Set(1...10)).isEmpty else { throw ViewDecodeError("unknown field in peer score record") }
        peer = try ViewRecord.read { () throws(CanonicalDecodeError) in try reader.bytes(1) }
        guard !peer.isEmpty, peer.count <= Self.maxPeerLength else { throw ViewDecodeError("bad peer ID length \(peer.count)") }
        successes = try ViewRecord.read { () throws(CanonicalDecodeError) in try reader.uint(2) }
        digestMismatches = try ViewRecord.read { () throws(CanonicalDecodeError) in try reader.uint(3) }
        timeouts = try ViewRecord.read { () throws(CanonicalDecodeError) in try reader.uint(4) }
        refusals = try ViewRecord.read { () throws(CanonicalDecodeError) in try reader.uint(5) }
        otherFailures = try ViewRecord.read { () throws(CanonicalDecodeError) in try reader.uint(6) }
        bytesServed = try ViewRecord.read { () throws(CanonicalDecodeError) in try reader.uint(7) }
        latencyMicrosTotal = try ViewRecord.read { () throws(CanonicalDecodeError) in try reader.uint(8) }
        penalties = try ViewRecord.read { () throws(CanonicalDecodeError) in try reader.uint(9) }
        reporter = try ViewRecord.read { () throws(CanonicalDecodeError) in try reader.bytes(10, exactly: 32) }
    }
}

/// Folds retrieval and penalty events into per-peer scores.
public enum PeerScoreFold {
    /// The peer an event is about, for the store's "which records changed" bookkeeping.
    public static func peer(of event: Event) -> [UInt8]? {
        switch try? event.decodedBody() {
        case .retrievalObserved(let observation)?: observation.peer
        case .peerPenalised(let penalty)?: penalty.peer
        default: nil
        }
    }

    /// Every (reporter, peer) pair mentioned, sorted by reporter then peer ID bytes.
    /// Duplicate events (same ID) count once.
    public static func fold(events: [Event]) -> [PeerScore] {
        var scores: [[UInt8]: PeerScore] = [:]
        for event in ViewFold.canonicalOrder(events) {
            guard let body = try? event.decodedBody(), let peer = peer(of: body) else { continue }
            guard peer.count <= PeerScore.maxPeerLength else { continue }
            let score = PeerScore(peer: peer, reporter: event.author.bytes)
            scores[score.key, default: score].apply(body)
        }
        return scores.values.sorted { $0.key.lexicographicallyPrecedes($1.key) }
    }

    static func peer(of body: EventBody) -> [UInt8]? {
        switch body {
        case .retrievalObserved(let observation): observation.peer
        case .peerPenalised(let penalty): penalty.peer
        default: nil
        }
    }
}
