/// Counts peer-caused events (refused connections, failed handshakes) by reason and hands
/// out at most one summary per interval, so a flood of bad connections costs the operator
/// one log line per interval instead of one per connection. Pure: the caller passes the time
/// and logs what comes back.
public struct LogSummary: Sendable {
    public struct Report: Equatable, Sendable, CustomStringConvertible {
        /// Reasons and their counts, most frequent first (ties by name).
        public var counts: [(reason: String, count: Int)]
        public var interval: Duration

        public var total: Int { counts.reduce(0) { $0 + $1.count } }

        public var description: String {
            let parts = counts.map { "\($0.count) \($0.reason)" }.joined(separator: ", ")
            return "\(total) connections refused or dropped in the last \(interval): \(parts)"
        }

        public static func == (lhs: Report, rhs: Report) -> Bool {
            lhs.interval == rhs.interval && lhs.counts.elementsEqual(rhs.counts) { $0 == $1 }
        }
    }

    public let interval: Duration
    /// Distinct reasons kept per interval; the rest are counted as "other", so the summary
    /// itself stays bounded whatever the reasons are.
    public let maxReasons: Int
    private var counts: [String: Int] = [:]
    private var windowStart: ContinuousClock.Instant?

    public init(interval: Duration = .seconds(10), maxReasons: Int = 16) {
        self.interval = interval
        self.maxReasons = max(1, maxReasons)
    }

    /// Counts one event; returns the summary of the interval that just ended, if one did.
    public mutating func record(_ reason: String, now: ContinuousClock.Instant) -> Report? {
        let report = flush(now: now)
        if windowStart == nil { windowStart = now }
        let key = counts[reason] != nil || counts.count < maxReasons - 1 ? reason : "other"
        counts[key, default: 0] += 1
        return report
    }

    /// The summary of the current interval once it has lasted `interval`, or nil when there
    /// is nothing to report yet. Call it periodically so a flood that stopped is reported.
    public mutating func flush(now: ContinuousClock.Instant) -> Report? {
        guard let start = windowStart, now - start >= interval, !counts.isEmpty else { return nil }
        let sorted = counts.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map { (reason: $0.key, count: $0.value) }
        counts.removeAll()
        windowStart = nil
        return Report(counts: sorted, interval: interval)
    }
}
