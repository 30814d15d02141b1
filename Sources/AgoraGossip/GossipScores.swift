import AgoraWire

/// Per-peer score counters (v1.1) and their decay. Kept for `retainScore` after a peer
/// disconnects, and bounded in number: the oldest disconnected peers are forgotten first.
struct GossipScores {
    struct TopicCounters {
        var meshSince: Duration?
        var firstDeliveries = 0.0
        var invalidDeliveries = 0.0
    }

    struct PeerCounters {
        var topics: [String: TopicCounters] = [:]
        var behaviourPenalty = 0.0
        var application = 0.0
        var disconnectedAt: Duration?
    }

    let parameters: GossipScoreParameters
    let capacity: Int
    private(set) var peers: [PeerID: PeerCounters] = [:]

    init(parameters: GossipScoreParameters, capacity: Int) {
        self.parameters = parameters
        self.capacity = max(1, capacity)
    }

    func score(_ peer: PeerID, now: Duration) -> Double {
        guard let counters = peers[peer] else { return 0 }
        let p = parameters
        var topicScore = 0.0
        for topic in counters.topics.values {
            if let since = topic.meshSince, now > since {
                topicScore += p.timeInMeshWeight * min((now - since) / p.timeInMeshQuantum, p.timeInMeshCap)
            }
            topicScore += p.firstDeliveryWeight * topic.firstDeliveries
            topicScore += p.invalidDeliveryWeight * topic.invalidDeliveries * topic.invalidDeliveries
        }
        var total = p.topicWeight * topicScore + p.applicationWeight * counters.application
        let excess = counters.behaviourPenalty - p.behaviourPenaltyThreshold
        if excess > 0 { total += p.behaviourPenaltyWeight * excess * excess }
        return total
    }

    mutating func connected(_ peer: PeerID) {
        if peers[peer] == nil { makeRoom() }
        peers[peer, default: PeerCounters()].disconnectedAt = nil
    }

    mutating func disconnected(_ peer: PeerID, now: Duration) {
        guard peers[peer] != nil else { return }
        peers[peer]?.disconnectedAt = now
        for topic in peers[peer]?.topics.keys.map({ $0 }) ?? [] {
            peers[peer]?.topics[topic]?.meshSince = nil
        }
    }

    mutating func grafted(_ peer: PeerID, topic: String, now: Duration) {
        peers[peer]?.topics[topic, default: TopicCounters()].meshSince = now
    }

    mutating func pruned(_ peer: PeerID, topic: String) {
        peers[peer]?.topics[topic]?.meshSince = nil
    }

    mutating func firstDelivery(_ peer: PeerID, topic: String) {
        guard peers[peer] != nil else { return }
        let current = peers[peer]?.topics[topic]?.firstDeliveries ?? 0
        peers[peer]?.topics[topic, default: TopicCounters()].firstDeliveries = min(current + 1, parameters.firstDeliveryCap)
    }

    mutating func invalidDelivery(_ peer: PeerID, topic: String) {
        guard peers[peer] != nil else { return }
        peers[peer]?.topics[topic, default: TopicCounters()].invalidDeliveries += 1
    }

    mutating func penalise(_ peer: PeerID, by amount: Double = 1) {
        peers[peer]?.behaviourPenalty += amount
    }

    mutating func setApplicationScore(_ peer: PeerID, _ value: Double) {
        peers[peer]?.application = value
    }

    /// Once per heartbeat: decays the counters and forgets peers gone longer than `retainScore`.
    mutating func decay(now: Duration) {
        let p = parameters
        func decayed(_ value: Double, _ factor: Double) -> Double {
            let next = value * factor
            return next < p.decayToZero ? 0 : next
        }
        for (peer, var counters) in peers {
            if let gone = counters.disconnectedAt, now - gone >= p.retainScore {
                peers[peer] = nil
                continue
            }
            for (name, var topic) in counters.topics {
                topic.firstDeliveries = decayed(topic.firstDeliveries, p.firstDeliveryDecay)
                topic.invalidDeliveries = decayed(topic.invalidDeliveries, p.invalidDeliveryDecay)
                counters.topics[name] = topic
            }
            counters.behaviourPenalty = decayed(counters.behaviourPenalty, p.behaviourPenaltyDecay)
            peers[peer] = counters
        }
    }

    /// Keeps the table within `capacity` by forgetting the longest-disconnected peer.
    private mutating func makeRoom() {
        guard peers.count >= capacity else { return }
        let victim = peers.filter { $0.value.disconnectedAt != nil }.min { $0.value.disconnectedAt! < $1.value.disconnectedAt! }
        if let victim { peers[victim.key] = nil }
    }
}
