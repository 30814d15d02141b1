import AgoraWire

extension GossipRouter {
    /// One RPC from `peer`. Everything from a graylisted peer is ignored.
    public mutating func receive(_ rpc: GossipRPC, from peer: PeerID, now: Duration) -> [GossipAction] {
        guard peers[peer] != nil else { return [] }
        guard scores.score(peer, now: now) >= configuration.score.graylistThreshold else {
            counters.graylisted += 1
            return []
        }
        for subscription in rpc.subscriptions { apply(subscription, from: peer) }
        for message in rpc.messages { receive(message, from: peer, now: now) }
        let control = rpc.control
        if !control.ihave.isEmpty { handleIHave(control.ihave, from: peer, now: now) }
        if !control.iwant.isEmpty { handleIWant(control.iwant, from: peer, now: now) }
        for topic in control.graft { handleGraft(topic, from: peer, now: now) }
        for prune in control.prune { handlePrune(prune, from: peer, now: now) }
        return flush()
    }

    private mutating func apply(_ subscription: GossipSubscription, from peer: PeerID) {
        let topic = subscription.topic
        if subscription.subscribe {
            guard let count = peers[peer]?.topics.count, count < configuration.maxTopicsPerPeer else { return }
            peers[peer]?.topics.insert(topic)
        } else {
            peers[peer]?.topics.remove(topic)
            if mesh[topic]?.remove(peer) != nil { scores.pruned(peer, topic: topic) }
            fanout[topic]?.remove(peer)
        }
    }

    private mutating func receive(_ message: GossipMessage, from peer: PeerID, now: Duration) {
        guard subscriptions.contains(message.topic) else { return }
        guard message.data.count <= configuration.maxDataSize else {
            counters.dropped += 1
            scores.invalidDelivery(peer, topic: message.topic)
            return
        }
        let id = configuration.messageID(message)
        if seen.contains(id) {
            counters.duplicates += 1
            return
        }
        guard pending.count < configuration.maxPendingValidations else {
            // Not marked seen: a later copy (or IHAVE) can still bring it in.
            counters.dropped += 1
            return
        }
        seen.insert(id, now: now)
        promises[id] = nil
        if configuration.verifySignatures, GossipSigning.verify(message) == nil {
            counters.rejected += 1
            scores.invalidDelivery(peer, topic: message.topic)
            return
        }
        pending[id] = Pending(message: message, from: peer)
        actions.append(.validate(id, message, from: peer))
    }

    private mutating func handleIHave(_ entries: [GossipIHave], from peer: PeerID, now: Duration) {
        guard scores.score(peer, now: now) >= configuration.score.gossipThreshold, var state = peers[peer] else { return }
        state.ihaveReceived += 1
        defer { peers[peer] = state }
        guard state.ihaveReceived <= configuration.maxIHaveMessages, state.idsAsked < configuration.maxIHaveLength else { return }
        var wanted: [GossipMessageID] = []
        var listed: Set<GossipMessageID> = []
        for entry in entries where subscriptions.contains(entry.topic) {
            for id in entry.messageIDs where !seen.contains(id) && promises[id] == nil && listed.insert(id).inserted {
                wanted.append(id)
            }
        }
        guard !wanted.isEmpty else { return }
        wanted.shuffle(using: &random)
        let take = min(wanted.count, configuration.maxIHaveLength - state.idsAsked)
        let asked = Array(wanted.prefix(take))
        state.idsAsked += take
        for id in asked where promises.count < configuration.maxPromises {
            promises[id] = (peer, now + configuration.iwantFollowupTime)
        }
        counters.iwantSent += 1
        outbox.iwant(peer, ids: asked)
    }

    private mutating func handleIWant(_ ids: [GossipMessageID], from peer: PeerID, now: Duration) {
        guard scores.score(peer, now: now) >= configuration.score.gossipThreshold else { return }
        for id in ids {
            if let message = cache.request(id, by: peer, limit: configuration.gossipRetransmission) {
                outbox.message(peer, message)
            }
        }
    }

    private mutating func handleGraft(_ topic: String, from peer: PeerID, now: Duration) {
        guard subscriptions.contains(topic) else {
            // Not our topic: answer with a PRUNE so it does not count us in its mesh.
            outbox.prune(peer, topic: topic, backoff: configuration.pruneBackoff)
            return
        }
        guard mesh[topic]?.contains(peer) != true else { return }
        if let until = backoff[topic]?[peer], now < until {
            scores.penalise(peer)
            if now < until - configuration.pruneBackoff + configuration.graftFloodThreshold {
                scores.penalise(peer)
            }
            sendPrune(peer, topic: topic, now: now)
            return
        }
        let full = (mesh[topic]?.count ?? 0) >= configuration.dHigh
        guard scores.score(peer, now: now) >= 0, !full else {
            sendPrune(peer, topic: topic, now: now)
            return
        }
        mesh[topic, default: []].insert(peer)
        scores.grafted(peer, topic: topic, now: now)
    }

    private mutating func handlePrune(_ prune: GossipPrune, from peer: PeerID, now: Duration) {
        let topic = prune.topic
        if mesh[topic]?.remove(peer) != nil { scores.pruned(peer, topic: topic) }
        // Backoffs are kept for our topics only, at most two per peer slot.
        guard subscriptions.contains(topic), backoff[topic]?[peer] != nil || (backoff[topic]?.count ?? 0) < 2 * configuration.maxPeers
        else { return }
        var wait = configuration.pruneBackoff
        if let seconds = prune.backoff {
            wait = seconds >= UInt64(configuration.maxPeerBackoff.components.seconds)
                ? configuration.maxPeerBackoff : .seconds(Int64(seconds))
        }
        let until = now + wait
        if until > backoff[topic]?[peer] ?? .zero { backoff[topic, default: [:]][peer] = until }
    }
}
