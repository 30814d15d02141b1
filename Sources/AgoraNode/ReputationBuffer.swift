import AgoraCore

/// Observations waiting to be signed into the node's feed: a pure, bounded buffer. A window
/// (`window` long, by the caller's clock) admits at most `perWindow` observations in all and
/// `perSubjectPerWindow` about any one peer or author, and at most `capacity` wait at once,
/// so a hostile peer, or a swarm of fresh identities, cannot make the node write without
/// bound. What does not fit is counted and dropped: losing an observation costs precision,
/// not safety (the in-memory penalties and bans act at once).
struct ReputationBuffer: Sendable {
    struct Limits: Sendable {
        var window: Duration = .seconds(2)
        var perWindow = 128
        var perSubjectPerWindow = 8
        var capacity = 512
    }

    let limits: Limits
    private(set) var pending: [EventBody] = []
    private(set) var dropped = 0
    private var windowStart: ContinuousClock.Instant?
    private var admitted = 0
    private var perSubject: [[UInt8]: Int] = [:]

    init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// Queues `body` about `subject` (a peer ID or an author key); false when it was dropped.
    mutating func add(_ body: EventBody, subject: [UInt8], now: ContinuousClock.Instant) -> Bool {
        if let start = windowStart, now < start + limits.window {
            // Same window.
        } else {
            windowStart = now
            admitted = 0
            perSubject = [:]
        }
        guard pending.count < limits.capacity, admitted < limits.perWindow, perSubject[subject, default: 0] < limits.perSubjectPerWindow else {
            dropped += 1
            return false
        }
        admitted += 1
        perSubject[subject, default: 0] += 1
        pending.append(body)
        return true
    }

    /// Everything pending, oldest first; the buffer is empty afterwards.
    mutating func take() -> [EventBody] {
        defer { pending = [] }
        return pending
    }
}
