import AgoraStore

/// The archives a mirror still has to fetch, a pure machine driven by `now`: each digest is
/// handed out once at a time, a failed fetch comes back after an exponential backoff (1 s
/// doubling to `maxBackoff`), and the queue holds at most `capacity` digests, so the log
/// scan that fills it pauses while it is full.
struct MirrorQueue {
    struct Entry {
        var attempts = 0
        var due: ContinuousClock.Instant
        var inFlight = false
    }

    let capacity: Int
    let maxBackoff: Duration
    private(set) var entries: [BlobDigest: Entry] = [:]
    /// Insertion order, so archives are fetched roughly in log order.
    private var order: [BlobDigest] = []

    init(capacity: Int = 4096, maxBackoff: Duration = .seconds(60)) {
        self.capacity = capacity
        self.maxBackoff = maxBackoff
    }

    var isFull: Bool { entries.count >= capacity }
    var count: Int { entries.count }

    mutating func add(_ digest: BlobDigest, now: ContinuousClock.Instant) {
        guard entries[digest] == nil, !isFull else { return }
        entries[digest] = Entry(due: now)
        order.append(digest)
    }

    /// The oldest digest due at `now` that is not being fetched, marked in flight.
    mutating func next(now: ContinuousClock.Instant) -> BlobDigest? {
        guard let digest = order.first(where: { entries[$0].map { !$0.inFlight && $0.due <= now } ?? false }) else { return nil }
        entries[digest]?.inFlight = true
        return digest
    }

    /// When the earliest waiting digest becomes due; nil when nothing waits.
    var nextDue: ContinuousClock.Instant? {
        entries.values.filter { !$0.inFlight }.map(\.due).min()
    }

    mutating func finished(_ digest: BlobDigest, succeeded: Bool, now: ContinuousClock.Instant) {
        guard var entry = entries[digest] else { return }
        if succeeded {
            entries[digest] = nil
            order.removeAll { $0 == digest }
            return
        }
        entry.attempts += 1
        entry.inFlight = false
        let exponent = min(entry.attempts - 1, 16)
        entry.due = now + min(.seconds(1 << exponent), maxBackoff)
        entries[digest] = entry
    }
}
