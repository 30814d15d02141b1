import AgoraCore

/// One client session of `/agora/sync/1.0.0`, as a pure machine: responses and lookups in,
/// requests and appends out. It follows the peer's changes feed from a stored position,
/// pipelining up to `maxInFlight` ranges of `pageSize` local sequences while behind, then
/// once per session compares signed feed heads (a net for anything the position missed, such
/// as a peer whose store was replaced) and fetches the feeds where the peer is ahead, then
/// waits on the peer for new events.
///
/// A session started with `skim` (the node already follows another peer's changes feed to the
/// end) does not page through this peer's log: it learns the peer's newest local sequence,
/// compares signed heads, fetches only the feeds where the peer is ahead and then moves its
/// position to that sequence, so a second and third source ship only what the first lacked.
///
/// A session started with `holdings` (the feeds this node holds, by head seq) first tells the
/// peer about them: the peer then lists those events as held runs instead of sending them, and
/// the shell checks each run against the store before handing the reply in (`receive(_:holds:)`;
/// its last ID must be ours). A run that fails the check (the peer holds a fork, or our claim
/// was wrong) is fetched as a feed range before the session goes live.
public struct SyncClientMachine: Sendable {
    public struct Configuration: Sendable, Equatable {
        public var limits: SyncLimits
        /// Local sequences asked for per changes request while catching up; a reply is one append.
        /// 4096 (the server's event bound per batch) halved a catch-up's commits against 2048 and
        /// doubled its rate: each commit rewrites the event index pages its random IDs touch.
        public var pageSize: UInt64
        /// How long a caught-up client asks the server to hold a changes request.
        public var liveWaitMillis: UInt32
        /// How long the peer whose changes feed the node follows may deliver nothing before
        /// another peer takes over the catch-up (the shell's rule; a silent source cannot stall it).
        public var takeoverAfter: Duration

        public init(
            limits: SyncLimits = SyncLimits(), pageSize: UInt64 = 4096, liveWaitMillis: UInt32 = 10_000,
            takeoverAfter: Duration = .seconds(5)
        ) {
            self.limits = limits
            self.pageSize = max(1, pageSize)
            self.liveWaitMillis = liveWaitMillis
            self.takeoverAfter = takeoverAfter
        }
    }

    public enum Action: Sendable, Equatable {
        case send(SyncRequestFrame)
        /// Store these, in this order; with a position, record it in the same commit.
        case append([Event], position: UInt64?)
        /// Look up our head seq of these feeds and pass them to `compared(localSeqs:)`.
        case compareHeads([PublicKey])
    }

    /// A changes request in flight or answered but not yet appended (answers are appended
    /// in local-sequence order).
    struct Segment: Sendable {
        let after: UInt64
        let upTo: UInt64
        let id: UInt64
        var answer: (events: [Event], through: UInt64)?
    }

    enum Outstanding: Sendable, Equatable {
        case holdings
        case changes
        case heads(after: PublicKey?)
        case range(author: PublicKey, from: UInt64, to: UInt64)
    }

    public let configuration: Configuration
    /// Every event of the peer's log up to this local sequence is stored here.
    public private(set) var position: UInt64
    /// The peer's newest local sequence, as it last said.
    public private(set) var peerLatest: UInt64 = 0
    public private(set) var headsChecked = false
    /// Events the peer sent in this session (duplicates included): what resuming saves.
    public private(set) var eventsReceived: UInt64 = 0
    private var nextID: UInt64 = 1
    private var outstanding: [(id: UInt64, kind: Outstanding)] = []
    private var segments: [Segment] = []
    /// Heads of the current page the peer is ahead on: feed → its head seq.
    private var peerHeads: [PublicKey: UInt64] = [:]
    private var ranges: [(author: PublicKey, from: UInt64, to: UInt64)] = []
    private var headsCursor: PublicKey??
    /// Skim mode until the first reply decides whether the lag is worth skipping.
    private var skim: Bool
    /// The peer's newest local sequence when the skim began: the position once heads are checked.
    private var skipTo: UInt64?
    /// Local sequences of the peer passed over by skimming (their events came from elsewhere).
    public private(set) var skipped: UInt64 = 0
    /// True from the start of a signed-heads walk until its last range is fetched.
    private var walkingHeads = false
    /// What this session told the peer it holds: feed → seq (held runs must stay within it).
    private let claimed: [PublicKey: UInt64]
    /// Events the peer left out as held by us, and those of runs that failed the check.
    public private(set) var eventsHeld: UInt64 = 0
    public private(set) var heldMismatches: UInt64 = 0

    /// `holdings`: the feeds this node holds; the first `maxHeldFeeds` are told to the peer.
    public init(position: UInt64, skim: Bool = false, holdings: [HeldFeed] = [], configuration: Configuration = Configuration()) {
        self.position = position
        self.skim = skim
        self.configuration = configuration
        var claimed: [PublicKey: UInt64] = [:]
        for feed in holdings.prefix(configuration.limits.maxHeldFeeds) { claimed[feed.author] = feed.seq }
        self.claimed = claimed
    }

    /// Events the peer has that we have not replicated yet, by its own count.
    public var lag: UInt64 { peerLatest > position ? peerLatest - position : 0 }

    /// Skimming asks for the empty range `(position, position]`: the reply carries only the
    /// peer's newest local sequence.
    public mutating func start() -> [Action] {
        var actions: [Action] = []
        let feeds = claimed.sorted { $0.key < $1.key }.map { HeldFeed(author: $0.key, seq: $0.value) }
        for start in stride(from: 0, to: feeds.count, by: max(1, configuration.limits.maxHoldingsPerPage)) {
            let id = takeID()
            outstanding.append((id, .holdings))
            let page = Array(feeds[start..<min(feeds.count, start + max(1, configuration.limits.maxHoldingsPerPage))])
            actions.append(.send(SyncRequestFrame(id: id, request: .holdings(page))))
        }
        return actions + [sendChanges(after: position, upTo: skim ? position : .max, wait: 0)]
    }

    /// `holds`: for a changes reply with held runs, whether we hold each run's last event (see
    /// `SyncLogSource.holds`); a missing answer counts as not held.
    public mutating func receive(_ frame: SyncResponseFrame, holds: [Bool] = []) throws(SyncError) -> [Action] {
        guard let first = outstanding.first else {
            throw .protocolViolation("a reply (\(frame.id)) to no request")
        }
        guard first.id == frame.id else {
            throw .protocolViolation("reply \(frame.id) while \(first.id) is the oldest open request")
        }
        outstanding.removeFirst()
        switch (first.kind, frame.response) {
        case (_, .failure(let message)):
            throw .remote(message)
        case (.holdings, .kept):
            return []
        case (.changes, .events(let events, let through, let latest, let held)):
            try heldAnswered(held, holds: holds)
            return try changesAnswered(id: frame.id, events: events, through: through, latest: latest)
        case (.heads(let after), .heads(let events, let more)):
            return try headsAnswered(events, more: more, after: after)
        case (.range(let author, let from, let to), .events(let events, let through, _, let held)) where held.isEmpty:
            return try rangeAnswered(events, through: through, author: author, from: from, to: to)
        default:
            throw .protocolViolation("a reply of the wrong kind to request \(frame.id)")
        }
    }

    /// Our head seqs for the feeds of the last `compareHeads`.
    public mutating func compared(localSeqs: [PublicKey: UInt64]) -> [Action] {
        for (author, theirs) in peerHeads.sorted(by: { $0.key < $1.key }) {
            let ours = localSeqs[author] ?? 0
            if theirs > ours { ranges.append((author, ours + 1, theirs)) }
        }
        peerHeads.removeAll()
        return nextHeadsStep()
    }

    // MARK: Changes

    /// Held runs must name feeds this session claimed, once each, within the claimed seq; a run
    /// whose last event we do not hold is queued as a feed range (fetched once the pipeline drains).
    private mutating func heldAnswered(_ runs: [HeldRun], holds: [Bool]) throws(SyncError) {
        var seen: Set<PublicKey> = []
        for (index, run) in runs.enumerated() {
            guard let through = claimed[run.author], run.last <= through, seen.insert(run.author).inserted else {
                throw .protocolViolation("a held run of feed \(run.author.short) through \(run.last) that this node did not claim")
            }
            eventsHeld += run.last - run.first + 1
            if index >= holds.count || !holds[index] {
                heldMismatches += run.last - run.first + 1
                ranges.append((run.author, run.first, run.last))
            }
        }
    }

    private mutating func sendChanges(after: UInt64, upTo: UInt64, wait: UInt32) -> Action {
        let id = takeID()
        outstanding.append((id, .changes))
        segments.append(Segment(after: after, upTo: upTo, id: id))
        return .send(SyncRequestFrame(id: id, request: .changes(after: after, upTo: upTo, waitMillis: wait)))
    }

    private mutating func changesAnswered(id: UInt64, events: [Event], through: UInt64, latest: UInt64) throws(SyncError) -> [Action] {
        guard let index = segments.firstIndex(where: { $0.id == id }) else {
            throw .protocolViolation("changes reply \(id) matches no open range")
        }
        let segment = segments[index]
        guard through >= segment.after, through <= segment.upTo, through <= max(latest, segment.after) else {
            throw .protocolViolation("changes reply covers through \(through), outside (\(segment.after), \(segment.upTo)] with latest \(latest)")
        }
        guard events.isEmpty || through > segment.after else {
            throw .protocolViolation("changes reply with events but no progress past \(segment.after)")
        }
        let reachable = min(segment.upTo, latest)
        guard through == reachable || through > segment.after || reachable <= segment.after else {
            throw .protocolViolation("changes reply made no progress towards \(reachable)")
        }
        peerLatest = max(peerLatest, latest)
        eventsReceived += UInt64(events.count)
        segments[index].answer = (events, through)
        var actions: [Action] = []
        // A reply cut short by the server's size limits: ask for the rest right behind it.
        if segment.upTo != .max, through < segment.upTo, through < latest {
            let restID = takeID()
            outstanding.append((restID, .changes))
            segments.insert(Segment(after: through, upTo: segment.upTo, id: restID), at: index + 1)
            actions.append(.send(SyncRequestFrame(id: restID, request: .changes(after: through, upTo: segment.upTo, waitMillis: 0))))
        }
        while let front = segments.first, let answer = front.answer {
            segments.removeFirst()
            guard !answer.events.isEmpty || answer.through > position else { continue }
            position = max(position, answer.through)
            actions.append(.append(answer.events, position: answer.through))
        }
        if skim {
            skim = false
            // A lag within one page costs less to fetch than a heads walk saves.
            if lag > configuration.pageSize {
                skipTo = peerLatest
                headsCursor = .some(nil)
                walkingHeads = true
                return actions + nextHeadsStep()
            }
        }
        actions += fill()
        return actions
    }

    /// Keeps the pipeline full while behind; when caught up, checks heads once, then waits.
    private mutating func fill() -> [Action] {
        var actions: [Action] = []
        // Nothing follows an open-ended (probe or live) request until it is answered.
        var frontier: UInt64? = position
        if let last = segments.last { frontier = last.upTo == .max ? nil : last.upTo }
        while let start = frontier, segments.count < configuration.limits.maxInFlight, start < peerLatest {
            let end = min(peerLatest, start.addingReportingOverflow(configuration.pageSize).overflow ? .max : start + configuration.pageSize)
            actions.append(sendChanges(after: start, upTo: end, wait: 0))
            frontier = end
        }
        guard segments.isEmpty, outstanding.isEmpty else { return actions }
        if !headsChecked, !walkingHeads {
            headsCursor = .some(nil)
            walkingHeads = true
        }
        // A walk in progress, or ranges of held runs that failed their check.
        if walkingHeads || !ranges.isEmpty { return actions + nextHeadsStep() }
        return actions + [sendChanges(after: position, upTo: .max, wait: configuration.liveWaitMillis)]
    }

    // MARK: Heads and feed ranges

    private mutating func nextHeadsStep() -> [Action] {
        if let range = ranges.first {
            let id = takeID()
            let pageEnd = range.from.addingReportingOverflow(configuration.pageSize - 1)
            let to = pageEnd.overflow ? range.to : min(range.to, pageEnd.partialValue)
            outstanding.append((id, .range(author: range.author, from: range.from, to: to)))
            return [.send(SyncRequestFrame(id: id, request: .range(author: range.author, from: range.from, to: to)))]
        }
        if let cursor = headsCursor {
            let id = takeID()
            outstanding.append((id, .heads(after: cursor)))
            return [.send(SyncRequestFrame(id: id, request: .heads(after: cursor)))]
        }
        guard walkingHeads else { return fill() }
        walkingHeads = false
        headsChecked = true
        // Every feed is now at least at the peer's heads, which were read after `skipTo`: every
        // event of its log up to there is stored.
        if let target = skipTo {
            skipTo = nil
            if target > position {
                skipped += target - position
                position = target
                return [.append([], position: target)] + fill()
            }
        }
        return fill()
    }

    private mutating func headsAnswered(_ events: [Event], more: Bool, after: PublicKey?) throws(SyncError) -> [Action] {
        var previous = after
        for event in events {
            if let previous, event.author <= previous {
                throw .protocolViolation("heads out of key order")
            }
            guard event.verifySignature() else { throw .forgedEvent(author: event.author, seq: event.seq) }
            peerHeads[event.author] = event.seq
            previous = event.author
        }
        guard !more || !events.isEmpty else { throw .protocolViolation("an empty heads page that says there is more") }
        headsCursor = more ? .some(previous) : nil
        guard !peerHeads.isEmpty else { return nextHeadsStep() }
        return [.compareHeads(peerHeads.keys.sorted())]
    }

    private mutating func rangeAnswered(
        _ events: [Event], through: UInt64, author: PublicKey, from: UInt64, to: UInt64
    ) throws(SyncError) -> [Action] {
        guard !events.isEmpty else {
            throw .protocolViolation("feed \(author.short) has a signed head at \(ranges.first?.to ?? to) but the peer sent nothing from \(from)")
        }
        for (offset, event) in events.enumerated() {
            guard event.author == author, event.seq == from + UInt64(offset), event.seq <= to else {
                throw .protocolViolation("range reply for feed \(author.short) out of order")
            }
        }
        eventsReceived += UInt64(events.count)
        let last = events[events.count - 1].seq
        guard through == last else { throw .protocolViolation("range reply says through \(through), sent up to \(last)") }
        if last >= ranges[0].to {
            ranges.removeFirst()
        } else {
            ranges[0].from = last + 1
        }
        return [.append(events, position: nil)] + nextHeadsStep()
    }

    private mutating func takeID() -> UInt64 {
        defer { nextID &+= 1 }
        return nextID
    }
}
