import AgoraCore
import AgoraStore
import Foundation

/// What one reporter's events say about one peer: the reputation view behind peer selection.
/// Scores are kept per reporter because anyone can sign an observation: a node chooses peers
/// by its own reports only, so a stranger's events cannot make it shun an honest peer.
///
/// Observations count by the period their event's timestamp falls in, and only the
/// `keptPeriods` newest periods are kept: old behaviour fades, so a peer that was avoided (and
/// is therefore rarely asked, so rarely earns new reports) gets asked again once its offences
/// age, and a peer that turned bad does not live on an old record. Keeping "the newest
/// periods of the set" is order-independent: an event joins its period's sums when that
/// period is among the newest seen, and a period is only dropped once newer ones outnumber it,
/// after which no event of it can return. Sums and counts only, so any arrival order gives the
/// same record; they saturate at UInt64.max (still commutative), so a peer claiming absurd
/// byte counts cannot wrap a total to a small one.
public struct PeerScore: Sendable, Hashable {
    public var peer: [UInt8]
    /// The public key of the node whose feed holds the observations.
    public var reporter: [UInt8]
    /// Oldest first, at most `keptPeriods`, strictly increasing `index`.
    public private(set) var periods: [Period] = []

    /// One period's observations.
    public struct Period: Sendable, Hashable {
        /// The event timestamp (milliseconds since 1970) divided by `periodMillis`.
        public var index: UInt64
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

        public init(index: UInt64) {
            self.index = index
        }

        var failures: UInt64 { digestMismatches &+ timeouts &+ refusals &+ otherFailures }

        fileprivate var fields: [UInt64] {
            [index, successes, digestMismatches, timeouts, refusals, otherFailures, bytesServed, latencyMicrosTotal, penalties]
        }

        fileprivate init(fields: ArraySlice<UInt64>) {
            var values = fields.makeIterator()
            index = values.next() ?? 0
            successes = values.next() ?? 0
            digestMismatches = values.next() ?? 0
            timeouts = values.next() ?? 0
            refusals = values.next() ?? 0
            otherFailures = values.next() ?? 0
            bytesServed = values.next() ?? 0
            latencyMicrosTotal = values.next() ?? 0
            penalties = values.next() ?? 0
        }

        fileprivate static let fieldCount = 9
    }

    /// Six hours: fine enough that an offence starts fading the same day, coarse enough that
    /// `keptPeriods` of them span days of history in a small record.
    public static let periodMillis: UInt64 = 6 * 3_600_000
    /// Three days of periods (at six hours each).
    public static let keptPeriods = 12
    /// A period's weight halves every twelve hours after it ends: one corrupt chunk from a peer
    /// with no other record cuts it off for about two hours after its period, leaves it avoided
    /// for about another fifteen, then it is usable again (and a new offence cuts it off again).
    public static let halfLifeMillis: Double = 12 * 3_600_000

    public init(peer: [UInt8], reporter: [UInt8]) {
        self.peer = peer
        self.reporter = reporter
    }

    /// The view's key: reporter, then peer, so one reporter's scores are one key range.
    public var key: [UInt8] { reporter + peer }

    // Totals over the kept periods.
    public var successes: UInt64 { total(\.successes) }
    public var digestMismatches: UInt64 { total(\.digestMismatches) }
    public var timeouts: UInt64 { total(\.timeouts) }
    public var refusals: UInt64 { total(\.refusals) }
    public var otherFailures: UInt64 { total(\.otherFailures) }
    public var bytesServed: UInt64 { total(\.bytesServed) }
    public var latencyMicrosTotal: UInt64 { total(\.latencyMicrosTotal) }
    public var penalties: UInt64 { total(\.penalties) }
    public var attempts: UInt64 { Self.sum(successes, failures) }
    public var failures: UInt64 { total(\.failures) }

    public var successRate: Double {
        attempts == 0 ? 0 : Double(successes) / Double(attempts)
    }

    public var meanLatencyMicros: UInt64? {
        successes == 0 ? nil : latencyMicrosTotal / successes
    }

    /// Whether the kept periods prove the peer sent bad data (a penalty or a bad digest).
    public var proven: Bool { periods.contains { $0.penalties > 0 || $0.digestMismatches > 0 } }

    /// A single number for ranking peers at `now` (milliseconds since 1970), in [0, 1]. Each
    /// period counts with its weight (`halfLifeMillis` after it ended). The success rate is
    /// smoothed with one imagined success and one failure so a peer with no history sits at
    /// 0.5, and each weighted penalty or bad digest (proof of bad data, not just bad luck)
    /// halves it.
    public func score(at now: UInt64) -> Double {
        var (successes, attempts, strikes) = (0.0, 0.0, 0.0)
        for period in periods {
            let (end, overflow) = (period.index &+ 1).multipliedReportingOverflow(by: Self.periodMillis)
            let age = overflow || now <= end ? 0 : Double(now - end)
            let weight = exp2(-age / Self.halfLifeMillis)
            successes += weight * Double(period.successes)
            attempts += weight * (Double(period.successes) + Double(period.failures))
            strikes += weight * (Double(period.penalties) + Double(period.digestMismatches))
        }
        return (successes + 1) / (attempts + 2) * exp2(-min(strikes, 64))
    }

    /// Adds one event's effect (`timestamp`: the event's, in milliseconds); events about other
    /// peers or of other kinds, and events older than every kept period when all are taken,
    /// are ignored.
    public mutating func apply(_ body: EventBody, at timestamp: UInt64) {
        switch body {
        case .retrievalObserved(let observation) where observation.peer == peer:
            guard let slot = periodSlot(for: timestamp) else { return }
            switch observation.outcome {
            case .success:
                Self.add(1, to: &periods[slot].successes)
                Self.add(observation.bytes, to: &periods[slot].bytesServed)
                Self.add(observation.latencyMicros, to: &periods[slot].latencyMicrosTotal)
            case .digestMismatch: Self.add(1, to: &periods[slot].digestMismatches)
            case .timeout: Self.add(1, to: &periods[slot].timeouts)
            case .refused: Self.add(1, to: &periods[slot].refusals)
            case .other: Self.add(1, to: &periods[slot].otherFailures)
            }
        case .peerPenalised(let penalty) where penalty.peer == peer:
            guard let slot = periodSlot(for: timestamp) else { return }
            Self.add(1, to: &periods[slot].penalties)
        default:
            break
        }
    }

    /// The position of the timestamp's period, made when missing (dropping the oldest when all
    /// are taken); nil when the period is older than every kept one and none is free.
    private mutating func periodSlot(for timestamp: UInt64) -> Int? {
        let index = timestamp / Self.periodMillis
        let position = periods.firstIndex { $0.index >= index } ?? periods.endIndex
        if position < periods.endIndex, periods[position].index == index { return position }
        if periods.count < Self.keptPeriods {
            periods.insert(Period(index: index), at: position)
            return position
        }
        guard position > 0 else { return nil }
        periods.remove(at: 0)
        periods.insert(Period(index: index), at: position - 1)
        return position - 1
    }

    private func total(_ field: KeyPath<Period, UInt64>) -> UInt64 {
        periods.reduce(0) { Self.sum($0, $1[keyPath: field]) }
    }

    private static func sum(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? .max : sum
    }

    private static func add(_ amount: UInt64, to total: inout UInt64) {
        total = sum(total, amount)
    }

    public func encoded() -> [UInt8] {
        var packed: [UInt8] = []
        packed.reserveCapacity(periods.count * 16)
        for period in periods {
            for value in period.fields { Varint.encode(value, into: &packed) }
        }
        var writer = CanonicalWriter(capacity: 64 + packed.count)
        writer.bytes(1, peer)
        writer.bytes(2, reporter)
        writer.bytes(3, packed)
        return writer.bytes
    }

    /// Peer IDs are multihashes of keys; anything longer than this is not a peer ID.
    public static let maxPeerLength = 128
    /// Peer, reporter and every kept period with each field at its longest varint, plus keys.
    static let maxRecordLength = maxPeerLength + 32 + keptPeriods * Period.fieldCount * 10 + 16

    public init(decoding bytes: some Collection<UInt8>) throws(ViewDecodeError) {
        guard bytes.count <= Self.maxRecordLength else { throw ViewDecodeError("peer score record of \(bytes.count) bytes") }
        let reader = try ViewRecord.reader(bytes)
        guard reader.unknown(known: [1, 2, 3]).isEmpty else { throw ViewDecodeError("unknown field in peer score record") }
        peer = try ViewRecord.read { () throws(CanonicalDecodeError) in try reader.bytes(1) }
        guard !peer.isEmpty, peer.count <= Self.maxPeerLength else { throw ViewDecodeError("bad peer ID length \(peer.count)") }
        reporter = try ViewRecord.read { () throws(CanonicalDecodeError) in try reader.bytes(2, exactly: 32) }
        let packed = try ViewRecord.read { () throws(CanonicalDecodeError) in try reader.bytes(3) }
        var values: [UInt64] = []
        var offset = 0
        while offset < packed.count {
            guard let decoded = try? Varint.decode(packed, at: offset) else { throw ViewDecodeError("bad varint in peer score periods") }
            values.append(decoded.value)
            offset += decoded.length
        }
        guard values.count % Period.fieldCount == 0, values.count / Period.fieldCount <= Self.keptPeriods else {
            throw ViewDecodeError("peer score periods hold \(values.count) numbers")
        }
        periods = stride(from: 0, to: values.count, by: Period.fieldCount).map {
            Period(fields: values[$0..<($0 + Period.fieldCount)])
        }
        guard zip(periods, periods.dropFirst()).allSatisfy({ $0.index < $1.index }) else {
            throw ViewDecodeError("peer score periods out of order")
        }
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
            scores[score.key, default: score].apply(body, at: event.timestamp)
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
