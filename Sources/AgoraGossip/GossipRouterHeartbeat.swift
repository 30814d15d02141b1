import AgoraWire

extension GossipRouter {
    /// Mesh maintenance, fanout expiry, IHAVE gossip, cache shift and score decay; the
    /// shell calls it every `heartbeatInterval`.
    public mutating func heartbeat(now: Duration) -> [GossipAction] {
        scores.decay(now: now)
        checkPromises(now: now)
        expireBackoffs(now: now)
        for topic in subscriptions.sorted() {
            maintainMesh(topic, now: now)
            emitGossip(topic, excluding: mesh[topic] ?? [], now: now)
        }
        maintainFanout(now: now)
        cache.shift()
        seen.expire(now: now)
        for peer in Array(peers.keys) {
            peers[peer]?.ihaveReceived = 0
            peers[peer]?.idsAsked = 0
        }
        return flush()
    }

    private mutating func maintainMesh(_ topic: String, now: Duration) {
        var members = mesh[topic] ?? []
        for peer in members.sorted(by: { $0.bytes.lexicographicallyPrecedes($1.bytes) }) where scores.score(peer, now: now) < 0 {
            members.remove(peer)
            scores.pruned(peer, topic: topic)
            sendPrune(peer, topic: topic, now: now)
        }
        if members.count < configuration.dLow {
            let more = shuffled(candidates(topic, excluding: members, now: now) { self.scores.score($0, now: now) >= 0 })
            for peer in more.prefix(configuration.d - members.count) {
                members.insert(peer)
                mesh[topic] = members
                graft(peer, topic: topic, now: now)
            }
        }
        if members.count > configuration.dHigh {
            // Keep the dScore best by score, then random others up to d.
            var ranked = members.sorted { $0.bytes.lexicographicallyPrecedes($1.bytes) }
            ranked.shuffle(using: &random)
            ranked.sort { scores.score($0, now: now) > scores.score($1, now: now) }
            var keep = Array(ranked.prefix(configuration.dScore))
            var rest = Array(ranked.dropFirst(configuration.dScore))
            rest.shuffle(using: &random)
            keep += rest.prefix(max(0, configuration.d - keep.count))
            let kept = Set(keep)
            for peer in ranked where !kept.contains(peer) {
                members.remove(peer)
                scores.pruned(peer, topic: topic)
                sendPrune(peer, topic: topic, now: now)
            }
        }
        mesh[topic] = members
    }

    private mutating func maintainFanout(now: Duration) {
        for (topic, published) in fanoutPublished where now - published >= configuration.fanoutTTL {
            fanout[topic] = nil
            fanoutPublished[topic] = nil
        }
        for topic in fanout.keys.sorted() {
            var members = (fanout[topic] ?? []).filter {
                peers[$0]?.topics.contains(topic) == true
                    && scores.score($0, now: now) >= configuration.score.publishThreshold
            }
            if members.count < configuration.d {
                let more = shuffled(candidates(topic, excluding: members, now: now) {
                    self.scores.score($0, now: now) >= self.configuration.score.publishThreshold
                })
                members.formUnion(more.prefix(configuration.d - members.count))
            }
            fanout[topic] = members
            emitGossip(topic, excluding: members, now: now)
        }
    }

    /// IHAVE with the recent message IDs of `topic` to dLazy (or more) peers outside the mesh.
    private mutating func emitGossip(_ topic: String, excluding: Set<PeerID>, now: Duration) {
        var ids = cache.gossipIDs(topic: topic)
        guard !ids.isEmpty else { return }
        let eligible = shuffled(candidates(topic, excluding: excluding, now: now, respectingBackoff: false) {
            self.scores.score($0, now: now) >= self.configuration.score.gossipThreshold
        })
        let target = max(configuration.dLazy, Int(configuration.gossipFactor * Double(eligible.count)))
        if ids.count > configuration.maxIHaveLength {
            ids.shuffle(using: &random)
            ids.removeLast(ids.count - configuration.maxIHaveLength)
        }
        for peer in eligible.prefix(target) {
            counters.ihaveSent += 1
            outbox.ihave(peer, topic: topic, ids: ids)
        }
    }

    /// A peer that did not deliver a message it advertised and we asked for gets one
    /// behaviour penalty per heartbeat in which such a promise expired.
    private mutating func checkPromises(now: Duration) {
        var broken: Set<PeerID> = []
        for (id, promise) in promises where promise.deadline <= now {
            promises[id] = nil
            broken.insert(promise.peer)
        }
        for peer in broken { scores.penalise(peer) }
    }

    private mutating func expireBackoffs(now: Duration) {
        for (topic, entries) in backoff {
            let live = entries.filter { now < $0.value }
            backoff[topic] = live.isEmpty ? nil : live
        }
    }
}
