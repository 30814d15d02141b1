import AgoraCore

/// Which signatures `append` checks. The hash chain links every event to its predecessor,
/// so one valid signature on the newest event of a feed authenticates all of them.
public enum Verification: Sendable {
    /// The caller already authenticated the events (e.g. a rebuild from a verified log).
    case none
    /// One signature per author per batch: the last event that author contributes.
    case chain
    /// Every event's own signature.
    case everySignature
}

public enum AppendRejection: Sendable, Hashable, CustomStringConvertible {
    /// The event's seq is beyond the next one this store expects from its author.
    case gap(expected: UInt64, got: UInt64)
    /// The event's `prev` is not the ID of the feed's current head.
    case brokenChain(seq: UInt64, expectedPrev: EventID?, got: EventID?)
    case badSignature(seq: UInt64)

    public var description: String {
        switch self {
        case .gap(let expected, let got):
            "feed gap: expected seq \(expected), got \(got)"
        case .brokenChain(let seq, let expectedPrev, let got):
            "broken chain at seq \(seq): prev is \(got?.hex ?? "none"), the feed head is \(expectedPrev?.hex ?? "none")"
        case .badSignature(let seq):
            "bad signature on the event at seq \(seq)"
        }
    }
}

public enum AppendOutcome: Sendable, Hashable {
    case appended(localSeq: UInt64)
    /// The store already had this exact event.
    case duplicate(localSeq: UInt64)
    /// Another event holds this (author, seq); both are kept, this one as evidence.
    case equivocation(accepted: EventID)
    case rejected(AppendRejection)
}

/// A batch with the views' transaction-free share of the work done (`Store.prepareAppend`).
public struct PreparedAppend: Sendable {
    public let events: [Event]
    let views: (any Sendable)?
}

extension Store {
    /// Does the views' work on `events` that needs no transaction (decoding; records and search
    /// documents of packages the batch may be first to publish, and their index entries,
    /// sorted). For a caller with batches queued: prepare the next batch off the writer's thread
    /// while the writer commits this one. Preparing costs more CPU in all than applying in the
    /// transaction (the entries are sorted twice, and stale preparations are redone), so a plain
    /// `append` does not prepare.
    public func prepareAppend(_ events: [Event]) -> PreparedAppend {
        PreparedAppend(events: events, views: views?.prepare(events, store: databases, views: viewDatabases))
    }

    /// Appends a batch in one write transaction and runs the view maintainer on the events
    /// it newly appended. Outcomes are in input order. Events of one author must come in
    /// feed order; a later event before its predecessor is rejected as a gap. `blobs` are
    /// stored in the same transaction, so a publish keeps its archive and its release event
    /// together or neither (the blobs are stored whatever the events' outcomes). `positions`
    /// are sync positions committed with the events, so a restart resumes exactly after them;
    /// they are recorded only when no event of the batch was rejected. `views`: `.immediate`
    /// folds, in this transaction, every event appended deferred before and then the batch's
    /// own (a lag longer than `appendFoldLimit` is first folded in runs of its own), so the views
    /// hold the whole log at commit; `.deferred` leaves the views at their position.
    public func append(
        _ events: [Event], verification: Verification, storing blobs: [PreparedBlob] = [], recording positions: [SyncPosition] = [],
        views folding: ViewFolding = .immediate
    ) throws -> [AppendOutcome] {
        if folding == .immediate { try foldLongLag() }
        let outcomes = try environment.write { txn in
            try append(events, verification: verification, storing: blobs, recording: positions, prepared: nil, folding: folding, in: txn)
        }
        partsAfterAppend(events, outcomes, folding)
        return outcomes
    }

    /// `append` of a prepared batch.
    public func append(
        _ prepared: PreparedAppend, verification: Verification, storing blobs: [PreparedBlob] = [], recording positions: [SyncPosition] = [],
        views folding: ViewFolding = .immediate
    ) throws -> [AppendOutcome] {
        if folding == .immediate { try foldLongLag() }
        let outcomes = try environment.write { txn in
            try append(
                prepared.events, verification: verification, storing: blobs, recording: positions, prepared: prepared.views,
                folding: folding, in: txn)
        }
        partsAfterAppend(prepared.events, outcomes, folding)
        return outcomes
    }

    /// After an append commits: starts preparing the events a deferred append committed for the
    /// fold that will take them into the views, or drops what was prepared of the events an
    /// immediate append folded (`AppendedParts`).
    private func partsAfterAppend(_ events: [Event], _ outcomes: [AppendOutcome], _ folding: ViewFolding) {
        guard let views else { return }
        var appended: [Event] = []
        var seqs: (first: UInt64, last: UInt64)?
        for (event, outcome) in zip(events, outcomes) {
            guard case .appended(let localSeq) = outcome else { continue }
            if folding == .deferred { appended.append(event) }
            seqs = (seqs?.first ?? localSeq, localSeq)
        }
        guard let seqs else { return }
        guard folding == .deferred else { return backgroundRelease.release(appendedParts.drop(through: seqs.last)) }
        // Views that hold nothing yet take a backlog in bulk (`foldFirstInBulk`), which
        // prepares nothing: parts made for it would only take the second core from the appends.
        if views.foldsInBulk, (try? read({ txn in try pendingPosition(in: txn) })) == 0 { return }
        appendedParts.prepare(appended, first: seqs.first, last: seqs.last) { [databases, viewDatabases] events in
            views.preparePart(events, store: databases, views: viewDatabases)
        }
    }

    /// Signs `bodies` as the next events of `identity`'s feed and appends them, reading the
    /// feed's head inside the write transaction: LMDB has one writer across processes, so two
    /// processes signing with one key (a daemon and an install beside it) never take one seq.
    /// `signingGuard` is asked first, in the transaction, and told the new head after commit.
    @discardableResult
    public func appendSigned(
        _ bodies: [EventBody], by identity: Identity, timestamp: UInt64, signingGuard: (any FeedSigningGuard)? = nil
    ) throws -> [Event] {
        try foldLongLag()
        let (events, outcomes) = try environment.write { txn in
            var head = try databases.head(of: identity.publicKey, in: txn)
            try signingGuard?.check(key: identity.publicKey, storeHead: head) { seq in
                try databases.feedEntry(author: identity.publicKey, seq: seq, in: txn)
            }
            var events: [Event] = []
            events.reserveCapacity(bodies.count)
            for body in bodies {
                let (seq, overflow) = (head?.seq ?? 0).addingReportingOverflow(1)
                guard !overflow else { throw StoreError.corrupt("feed \(identity.publicKey.short) is full") }
                let event = try Event.sign(by: identity, seq: seq, prev: head?.id, timestamp: timestamp, body: body)
                events.append(event)
                head = FeedHead(seq: seq, id: event.id)
            }
            let outcomes = try append(events, verification: .none, storing: [], recording: [], prepared: nil, folding: .immediate, in: txn)
            guard outcomes.allSatisfy({ if case .appended = $0 { true } else { false } }) else {
                throw StoreError.corrupt("own feed \(identity.publicKey.short) refused its next event")
            }
            return (events, outcomes)
        }
        partsAfterAppend(events, outcomes, .immediate)
        if let signingGuard, let last = events.last {
            try signingGuard.committed(key: identity.publicKey, head: FeedHead(seq: last.seq, id: last.id))
        }
        return events
    }

    private func append(
        _ events: [Event], verification: Verification, storing blobs: [PreparedBlob], recording positions: [SyncPosition],
        prepared: (any Sendable)?, folding: ViewFolding, in txn: WriteTransaction
    ) throws -> [AppendOutcome] {
        for blob in blobs { try put(blob, in: txn) }
        var plan = try AppendPlan(events: events, verification: verification, databases: databases, txn: txn)
        if verification == .chain, try !plan.authenticateChains() {
            plan = try AppendPlan(events: events, verification: .everySignature, databases: databases, txn: txn)
        }
        // Read before the batch is written: the deferred events end where the batch begins.
        let rebuilding = try views != nil && viewsRebuilding(in: txn)
        let pending = views == nil || rebuilding ? [] : try pendingForAppend(
            folding, logEnd: plan.firstLocalSeq - 1, appending: !plan.appended.isEmpty, in: txn)
        try plan.write(txn)
        // A position covers the whole batch: with an event kept out (forged, or not
        // fitting its chain) it would pass over something this store never accepted.
        if !plan.outcomes.contains(where: { if case .rejected = $0 { true } else { false } }) {
            for position in positions { try record(position, in: txn) }
        }
        if let views {
            if !rebuilding, folding == .immediate {
                try views.apply(pending + plan.appended.map { events[$0] }, prepared: prepared, in: txn, store: databases, views: viewDatabases)
            }
        } else if !plan.appended.isEmpty {
            try txn.delete(databases.meta, key: Self.viewsKey)
        }
        return plan.outcomes
    }
}

/// Decides each event's fate with reads only, so a failed chain authentication can be
/// replanned with every signature checked before anything is written.
struct AppendPlan {
    let events: [Event]
    let databases: StoreDatabases
    private(set) var outcomes: [AppendOutcome] = []
    /// Indices of events to append, in input order.
    private(set) var appended: [Int] = []
    private var heads: [PublicKey: FeedHead?] = [:]
    /// Per author: first planned seq and the indices planned from it on.
    private var planned: [PublicKey: (first: UInt64, indices: [Int])] = [:]
    /// Indices of equivocating events to keep as evidence.
    private var evidence: [Int] = []
    private(set) var firstLocalSeq: UInt64 = 1
    /// Per author: the index of its last event in the batch.
    private var lastOfAuthor: [PublicKey: Int] = [:]

    init(events: [Event], verification: Verification, databases: StoreDatabases, txn: WriteTransaction) throws {
        self.events = events
        self.databases = databases
        outcomes.reserveCapacity(events.count)
        appended.reserveCapacity(events.count)
        firstLocalSeq = try txn.withCursor(databases.log) { cursor in
            guard let last = try cursor.last() else { return 1 }
            guard let seq = BigEndian.uint64(last.key) else { throw StoreError.corrupt("log key of \(last.key.count) bytes") }
            guard seq <= UInt64.max - UInt64(events.count) - 1 else {
                throw StoreError.corrupt("the log ends at local seq \(seq), leaving no room for \(events.count) more")
            }
            return seq + 1
        }
        var batchIDs: [EventID: UInt64] = [:]
        batchIDs.reserveCapacity(events.count)
        // Fields are read through the array, not a copied `Event`: a copy retains and releases
        // each of its five arrays, which showed in profiles of the mirror's writer.
        for index in events.indices { lastOfAuthor[events[index].author] = index }
        for index in events.indices {
            let id = events[index].id
            let author = events[index].author
            let seq = events[index].seq
            if let localSeq = try batchIDs[id] ?? databases.localSeq(of: id, in: txn) {
                outcomes.append(.duplicate(localSeq: localSeq))
                continue
            }
            let head = try head(of: author, txn)
            let headSeq = head?.seq ?? 0
            if seq <= headSeq {
                let accepted = try acceptedID(author: author, seq: seq, txn)
                // Always checked, even with `.none`: unsigned evidence could frame an honest author.
                guard events[index].verifySignature() else {
                    outcomes.append(.rejected(.badSignature(seq: seq)))
                    continue
                }
                evidence.append(index)
                outcomes.append(.equivocation(accepted: accepted))
                continue
            }
            guard seq == headSeq + 1 else {
                outcomes.append(.rejected(.gap(expected: headSeq + 1, got: seq)))
                continue
            }
            guard events[index].prev == head?.id else {
                outcomes.append(.rejected(.brokenChain(seq: seq, expectedPrev: head?.id, got: events[index].prev)))
                continue
            }
            let mustVerify = verification == .everySignature || (verification == .chain && lastOfAuthor[author] == index)
            if mustVerify, !events[index].verifySignature() {
                outcomes.append(.rejected(.badSignature(seq: seq)))
                continue
            }
            let localSeq = firstLocalSeq + UInt64(appended.count)
            batchIDs[id] = localSeq
            heads[author] = FeedHead(seq: seq, id: id)
            planned[author, default: (seq, [])].indices.append(index)
            appended.append(index)
            outcomes.append(.appended(localSeq: localSeq))
        }
    }

    /// For `.chain`: every author's appended run must end in a verified signature. The last
    /// event of an author's batch was verified while planning; when it was not appended,
    /// verify the last one that was. False means some run is unauthenticated: replan.
    mutating func authenticateChains() throws -> Bool {
        for (author, run) in planned {
            guard let lastAppended = run.indices.last else { continue }
            if lastOfAuthor[author] != lastAppended, !events[lastAppended].verifySignature() { return false }
        }
        return true
    }

    private mutating func head(of author: PublicKey, _ txn: WriteTransaction) throws -> FeedHead? {
        if let cached = heads[author] { return cached }
        let stored = try databases.head(of: author, in: txn)
        heads[author] = .some(stored)
        return stored
    }

    private func acceptedID(author: PublicKey, seq: UInt64, _ txn: WriteTransaction) throws -> EventID {
        if let run = planned[author], seq >= run.first {
            return events[run.indices[Int(seq - run.first)]].id
        }
        guard let id = try databases.feedEntry(author: author, seq: seq, in: txn) else {
            throw StoreError.corrupt("feed \(author.short) has head beyond seq \(seq) but no entry for it")
        }
        return id
    }

    func write(_ txn: WriteTransaction) throws {
        var logKey = [UInt8](repeating: 0, count: 8)
        var feedKey = [UInt8](repeating: 0, count: 40)
        var feedValue = [UInt8](repeating: 0, count: 40)
        for (offset, index) in appended.enumerated() {
            let localSeq = firstLocalSeq + UInt64(offset)
            BigEndian.store(localSeq, into: &logKey, at: 0)
            try txn.put(databases.log, key: logKey, value: events[index].bytes, flags: .append)
            try txn.put(databases.eventIndex, key: events[index].id.bytes, value: logKey)
            feedKey.replaceSubrange(0..<32, with: events[index].author.bytes)
            BigEndian.store(events[index].seq, into: &feedKey, at: 32)
            feedValue.replaceSubrange(0..<32, with: events[index].id.bytes)
            BigEndian.store(localSeq, into: &feedValue, at: 32)
            try txn.put(databases.feedEntries, key: feedKey, value: feedValue)
        }
        for (author, run) in planned {
            guard let last = run.indices.last else { continue }
            var value = BigEndian.bytes(events[last].seq)
            value.append(contentsOf: events[last].id.bytes)
            try txn.put(databases.feeds, key: author.bytes, value: value)
        }
        for index in evidence {
            let event = events[index]
            var key = event.author.bytes
            BigEndian.append(event.seq, to: &key)
            key.append(contentsOf: event.id.bytes)
            try txn.put(databases.evidence, key: key, value: event.bytes)
        }
    }
}
