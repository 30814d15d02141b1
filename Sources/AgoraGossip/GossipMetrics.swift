import CoreMetrics

/// The router's running totals as swift-metrics counters (`agora_gossip_messages_total` by
/// outcome), brought up to date once per heartbeat, so the pure router knows nothing of
/// metrics; plus what the shell itself sees.
struct GossipMetrics {
    static let published = Counter(label: "agora_events_out_total", dimensions: [("protocol", GossipProtocol.v11)])
    static let malformed = Counter(label: "agora_protocol_errors_total", dimensions: [("protocol", GossipProtocol.v11), ("kind", "malformed")])
    static let outcomes = ["delivered", "duplicate", "rejected", "ignored", "dropped"].map { outcome in
        Counter(label: "agora_gossip_messages_total", dimensions: [("outcome", outcome)])
    }

    static func values(_ counters: GossipCounters) -> [Int] {
        [counters.delivered, counters.duplicates, counters.rejected, counters.ignored, counters.dropped]
    }

    private var reported = GossipCounters()

    mutating func report(_ counters: GossipCounters) {
        for (counter, (now, before)) in zip(Self.outcomes, zip(Self.values(counters), Self.values(reported))) where now > before {
            counter.increment(by: now - before)
        }
        reported = counters
    }
}
