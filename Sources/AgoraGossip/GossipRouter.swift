import AgoraCore
import AgoraWire

/// The gossipsub v1.1 router as a pure state machine: inputs are peers coming and going,
/// RPCs received, publishes, validation verdicts and heartbeats, each with `now` (a
/// monotonic time since any origin); outputs are `GossipAction`s. No sockets, clocks or
/// system randomness, so one process can drive thousands of routers.
public struct GossipRouter: Sendable {
    struct Peer {
        var protocolID: String
        var outbound: Bool
        var topics: Set<String> = []
        /// Reset at each heartbeat.
        var ihaveReceived = 0
        var idsAsked = 0
    }

    struct Pending {
        var message: GossipMessage
        var from: PeerID
    }

    public let configuration: GossipConfiguration
    public let localPeer: PeerID
    var random: SplitMix64
    var peers: [PeerID: Peer] = [:]
    public private(set) var subscriptions: Set<String> = []
    var mesh: [String: Set<PeerID>] = [:]
    var fanout: [String: Set<PeerID>] = [:]
    var fanoutPublished: [String: Duration] = [:]
    /// topic → peer → time before which we neither graft it nor accept its GRAFT.
    var backoff: [String: [PeerID: Duration]] = [:]
    var seen: SeenCache
    var cache: MessageCache
    var pending: [GossipMessageID: Pending] = [:]
    /// Message IDs we asked for by IWANT: who promised them and by when.
    var promises: [GossipMessageID: (peer: PeerID, deadline: Duration)] = [:]
    var scores: GossipScores
    var outbox: GossipOutbox
    var actions: [GossipAction] = []
    public internal(set) var counters = GossipCounters()

    public init(localPeer: PeerID, configuration: GossipConfiguration = GossipConfiguration(), seed: UInt64) {
        self.localPeer = localPeer
        self.configuration = configuration
        random = SplitMix64(seed: seed)
        seen = SeenCache(ttl: configuration.seenTTL, capacity: configuration.seenCapacity)
        cache = MessageCache(
            historyLength: configuration.historyLength, gossipWindows: configuration.gossipWindows,
            windowCapacity: configuration.cacheWindowCapacity)
        scores = GossipScores(parameters: configuration.score, capacity: 2 * configuration.maxPeers)
        outbox = GossipOutbox(frameLimit: configuration.rpcLimits.maxFrameLength)
    }

    // MARK: Queries

    public var connectedPeers: [PeerID] { Array(peers.keys) }

    public func meshPeers(_ topic: String) -> Set<PeerID> { mesh[topic] ?? [] }

    public func fanoutPeers(_ topic: String) -> Set<PeerID> { fanout[topic] ?? [] }

    public func topics(of peer: PeerID) -> Set<String> { peers[peer]?.topics ?? [] }

    public func score(of peer: PeerID, now: Duration) -> Double { scores.score(peer, now: now) }

    public func hasSeen(_ id: GossipMessageID) -> Bool { seen.contains(id) }

    public func isBackedOff(_ peer: PeerID, topic: String, now: Duration) -> Bool {
        guard let until = backoff[topic]?[peer] else { return false }
        return now < until
    }

    /// Sizes of the bounded structures, for tests and metrics.
    public var footprint: (seen: Int, cached: Int, pending: Int, promises: Int, scored: Int) {
        (seen.count, cache.count, pending.count, promises.count, scores.peers.count)
    }

    // MARK: Peers

    /// A peer whose stream speaks `protocolID`. Nil when the peer table is full (the shell
    /// should close the stream); otherwise the hello RPC with our subscriptions.
    public mutating func addPeer(_ peer: PeerID, protocolID: String, outbound: Bool, now: Duration) -> [GossipAction]? {
        if peers[peer] == nil {
            guard peers.count < configuration.maxPeers else { return nil }
            peers[peer] = Peer(protocolID: protocolID, outbound: outbound)
            scores.connected(peer)
            for topic in subscriptions.sorted() {
                outbox.subscription(peer, GossipSubscription(subscribe: true, topic: topic))
            }
        }
        return flush()
    }

    public mutating func removePeer(_ peer: PeerID, now: Duration) -> [GossipAction] {
        guard peers.removeValue(forKey: peer) != nil else { return [] }
        for topic in Array(mesh.keys) { mesh[topic]?.remove(peer) }
        for topic in Array(fanout.keys) { fanout[topic]?.remove(peer) }
        scores.disconnected(peer, now: now)
        return flush()
    }

    /// Counts a protocol violation the shell saw (a malformed or oversized frame) as a
    /// behaviour penalty (P7).
    public mutating func penalise(_ peer: PeerID) {
        scores.penalise(peer)
    }

    /// The application's opinion of a peer (P5), e.g. from Agora's reputation view.
    public mutating func setApplicationScore(_ peer: PeerID, _ value: Double) {
        scores.setApplicationScore(peer, value)
    }

    // MARK: Topics

    public mutating func subscribe(_ topic: String, now: Duration) -> [GossipAction] {
        guard subscriptions.insert(topic).inserted else { return [] }
        for peer in peers.keys { outbox.subscription(peer, GossipSubscription(subscribe: true, topic: topic)) }
        var members = fanout.removeValue(forKey: topic) ?? []
        fanoutPublished[topic] = nil
        members = members.filter { scores.score($0, now: now) >= 0 && !isBackedOff($0, topic: topic, now: now) }
        if members.count < configuration.d {
            let more = shuffled(candidates(topic, excluding: members, now: now) { self.scores.score($0, now: now) >= 0 })
            members.formUnion(more.prefix(configuration.d - members.count))
        }
        mesh[topic] = []
        for peer in members { graft(peer, topic: topic, now: now) }
        return flush()
    }

    public mutating func unsubscribe(_ topic: String, now: Duration) -> [GossipAction] {
        guard subscriptions.remove(topic) != nil else { return [] }
        for peer in peers.keys { outbox.subscription(peer, GossipSubscription(subscribe: false, topic: topic)) }
        for peer in mesh.removeValue(forKey: topic) ?? [] {
            scores.pruned(peer, topic: topic)
            sendPrune(peer, topic: topic, now: now)
        }
        return flush()
    }

    // MARK: Publishing

    /// Sends our own (already signed) message: to every subscribed peer above the publish
    /// threshold with flood publishing, else to the mesh or the fanout.
    public mutating func publish(_ message: GossipMessage, now: Duration) throws(GossipPublishError) -> (GossipMessageID, [GossipAction]) {
        guard message.data.count <= configuration.maxDataSize else {
            throw .tooLarge(size: message.data.count, limit: configuration.maxDataSize)
        }
        let id = configuration.messageID(message)
        guard seen.insert(id, now: now) else { throw .duplicate(id) }
        cache.put(id, message)
        let topic = message.topic
        var recipients: Set<PeerID>
        if configuration.floodPublish {
            recipients = Set(peers.filter { $0.value.topics.contains(topic) }.keys)
                .filter { scores.score($0, now: now) >= configuration.score.publishThreshold }
        } else if subscriptions.contains(topic) {
            recipients = mesh[topic] ?? []
        } else {
            recipients = fanout[topic] ?? []
            if recipients.isEmpty {
                let eligible = candidates(topic, excluding: [], now: now) {
                    self.scores.score($0, now: now) >= self.configuration.score.publishThreshold
                }
                recipients = Set(shuffled(eligible).prefix(configuration.d))
                fanout[topic] = recipients
            }
        }
        if !subscriptions.contains(topic) { fanoutPublished[topic] = now }
        for peer in recipients { outbox.message(peer, message) }
        return (id, flush())
    }

    // MARK: Validation

    /// The application's verdict on a message the router asked about; unknown IDs (already
    /// judged, or never asked) are ignored.
    public mutating func validated(_ id: GossipMessageID, _ verdict: GossipValidation, now: Duration) -> [GossipAction] {
        guard let entry = pending.removeValue(forKey: id) else { return [] }
        let message = entry.message
        switch verdict {
        case .accept:
            scores.firstDelivery(entry.from, topic: message.topic)
            cache.put(id, message)
            counters.delivered += 1
            actions.append(.deliver(id, message, from: entry.from))
            for peer in mesh[message.topic] ?? [] where peer != entry.from && peer.bytes != message.from {
                outbox.message(peer, message)
            }
        case .reject:
            counters.rejected += 1
            scores.invalidDelivery(entry.from, topic: message.topic)
        case .ignore:
            counters.ignored += 1
        }
        return flush()
    }

    // MARK: Helpers

    /// Peers subscribed to `topic`, not in `excluding`, passing `filter` and (for grafting)
    /// not backed off, in a fixed order (see `shuffled`).
    func candidates(
        _ topic: String, excluding: Set<PeerID>, now: Duration, respectingBackoff: Bool = true, _ filter: (PeerID) -> Bool
    ) -> [PeerID] {
        var found = peers.filter { $0.value.topics.contains(topic) }.keys
            .filter { !excluding.contains($0) && !(respectingBackoff && isBackedOff($0, topic: topic, now: now)) && filter($0) }
        found.sort { $0.bytes.lexicographicallyPrecedes($1.bytes) }
        return found
    }

    /// Sorted first, so the order depends only on the seed, not on hashing.
    mutating func shuffled(_ peers: [PeerID]) -> [PeerID] {
        var result = peers
        result.shuffle(using: &random)
        return result
    }

    mutating func graft(_ peer: PeerID, topic: String, now: Duration) {
        mesh[topic, default: []].insert(peer)
        scores.grafted(peer, topic: topic, now: now)
        outbox.graft(peer, topic: topic)
    }

    mutating func sendPrune(_ peer: PeerID, topic: String, now: Duration) {
        backoff[topic, default: [:]][peer] = now + configuration.pruneBackoff
        outbox.prune(peer, topic: topic, backoff: configuration.pruneBackoff)
    }

    /// Turns what the last input produced into actions.
    mutating func flush() -> [GossipAction] {
        var result = actions
        actions.removeAll(keepingCapacity: true)
        for (peer, rpc) in outbox.drain() where peers[peer] != nil {
            result.append(.send(peer, rpc))
        }
        return result
    }
}
