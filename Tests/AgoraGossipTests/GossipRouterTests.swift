import AgoraCore
import AgoraGossip
import AgoraWire
import Testing

@Suite struct GossipRouterTests {
    let topic = "agora/test"

    @Test(arguments: [UInt64(1), 2, 3])
    func meshStaysWithinWatermarks(seed: UInt64) throws {
        var sim = try RouterSimulator(count: 40, seed: seed)
        sim.connectRandomly(degree: 14, seed: seed)
        sim.subscribeAll(topic)
        sim.settle()
        for _ in 0..<15 { sim.heartbeat() }
        let config = GossipConfiguration()
        for node in sim.routers.indices {
            let size = sim.routers[node].meshPeers(topic).count
            #expect(size >= config.dLow && size <= config.dHigh, "node \(node) has mesh \(size)")
        }
    }

    @Test func oversizedMeshIsPrunedToD() throws {
        // One hub with 20 spokes that all graft to it: it must cut back to d at its heartbeat.
        var sim = try RouterSimulator(count: 21, seed: 7)
        for spoke in 1...20 { sim.connect(0, spoke) }
        sim.subscribeAll(topic)
        sim.settle()
        #expect(sim.routers[0].meshPeers(topic).count <= GossipConfiguration().dHigh)
        sim.heartbeat()
        let hub = sim.routers[0].meshPeers(topic).count
        #expect(hub >= GossipConfiguration().dLow && hub <= GossipConfiguration().dHigh)
        // Every spoke the hub pruned is backed off there.
        for spoke in 1...20 where !sim.routers[0].meshPeers(topic).contains(sim.peer(spoke)) {
            #expect(!sim.routers[spoke].meshPeers(topic).contains(sim.peer(0)) || sim.routers[0].isBackedOff(sim.peer(spoke), topic: topic, now: sim.now))
        }
    }

    @Test func pruneBackoffIsRespectedAndViolationsPenalised() throws {
        var sim = try RouterSimulator(count: 2, seed: 11)
        sim.connect(0, 1)
        sim.subscribeAll(topic)
        sim.settle()
        sim.heartbeat()
        #expect(sim.routers[0].meshPeers(topic).contains(sim.peer(1)))
        // Node 1 prunes node 0 with a 60 s backoff.
        let prune = GossipRPC(control: GossipControl(prune: [GossipPrune(topic: topic, backoff: 60)]))
        _ = sim.routers[0].receive(prune, from: sim.peer(1), now: sim.now)
        #expect(!sim.routers[0].meshPeers(topic).contains(sim.peer(1)))
        // Its mesh is below dLow, but it must not graft node 1 again during the backoff.
        for _ in 0..<30 {
            sim.now += .seconds(1)
            let actions = sim.routers[0].heartbeat(now: sim.now)
            #expect(!actions.contains { if case .send(_, let rpc) = $0 { return rpc.control.graft.contains(topic) } else { return false } })
        }
        sim.now += .seconds(31)
        let after = sim.routers[0].heartbeat(now: sim.now)
        #expect(after.contains { if case .send(_, let rpc) = $0 { return rpc.control.graft.contains(topic) } else { return false } })

        // The other way: node 1 grafts while node 0's backoff for it runs: penalised, pruned back.
        var other = try RouterSimulator(count: 2, seed: 12)
        other.connect(0, 1)
        other.subscribeAll(topic)
        other.settle()
        other.heartbeat()
        _ = other.routers[0].receive(GossipRPC(control: GossipControl(prune: [GossipPrune(topic: topic, backoff: 60)])), from: other.peer(1), now: other.now)
        let before = other.routers[0].score(of: other.peer(1), now: other.now)
        let answer = other.routers[0].receive(GossipRPC(control: GossipControl(graft: [topic])), from: other.peer(1), now: other.now)
        #expect(other.routers[0].score(of: other.peer(1), now: other.now) < before)
        #expect(answer.contains { if case .send(_, let rpc) = $0 { return rpc.control.prune.contains { $0.topic == topic } } else { return false } })
        #expect(!other.routers[0].meshPeers(topic).contains(other.peer(1)))
    }

    @Test func ihaveIWantRecoversAMessageLostInTheMesh() throws {
        var config = GossipConfiguration()
        config.d = 1
        config.dLow = 1
        config.dHigh = 2
        config.dScore = 1
        config.floodPublish = false
        var sim = try RouterSimulator(count: 4, seed: 21, configuration: config)
        for a in 0..<4 { for b in (a + 1)..<4 { sim.connect(a, b) } }
        sim.subscribeAll(topic)
        sim.settle()
        for _ in 0..<3 { sim.heartbeat() }
        // Every RPC carrying messages pushed through the mesh is lost; only IWANT answers arrive.
        var asked: Set<[Int]> = []
        sim.link = { from, to, rpc in
            if rpc.control.iwant.isEmpty == false { asked.insert([to, from]) }
            return rpc.messages.isEmpty || asked.contains([from, to])
        }
        let id = try sim.publish(from: 0, topic: topic, data: Array("lost in the mesh".utf8))
        sim.settle()
        #expect(sim.count(of: id) == 1)
        for _ in 0..<5 { sim.heartbeat() }
        #expect(sim.count(of: id) == 4)
        #expect(sim.routers.contains { $0.counters.iwantSent > 0 })
    }

    @Test func duplicatesAreValidatedAndDeliveredOnce() throws {
        var sim = try RouterSimulator(count: 3, seed: 31)
        sim.connect(0, 2)
        sim.connect(1, 2)
        sim.subscribeAll(topic)
        sim.settle()
        var validations = 0
        sim.validator = { _, _ in validations += 1; return .accept }
        let message = try sim.message(from: 0, topic: topic, data: Array("twice".utf8))
        let rpc = GossipRPC(messages: [message])
        sim.execute(sim.routers[2].receive(rpc, from: sim.peer(0), now: sim.now), at: 2)
        sim.execute(sim.routers[2].receive(rpc, from: sim.peer(1), now: sim.now), at: 2)
        sim.execute(sim.routers[2].receive(rpc, from: sim.peer(0), now: sim.now), at: 2)
        #expect(validations == 1)
        #expect(sim.delivered[2].values.reduce(0, +) == 1)
        #expect(sim.routers[2].counters.duplicates == 2)
    }

    @Test func seenCacheExpiresAndStaysBounded() throws {
        var config = GossipConfiguration()
        config.seenTTL = .seconds(5)
        config.seenCapacity = 100
        config.verifySignatures = false
        var sim = try RouterSimulator(count: 2, seed: 41, configuration: config)
        sim.connect(0, 1)
        sim.subscribeAll(topic)
        sim.settle()
        let first = GossipMessage(from: sim.peer(0).bytes, data: [1], seqno: [1], topic: topic)
        sim.execute(sim.routers[1].receive(GossipRPC(messages: [first]), from: sim.peer(0), now: sim.now), at: 1)
        #expect(sim.routers[1].hasSeen(config.messageID(first)))
        for round in 0..<10 {
            let batch = (0..<50).map { GossipMessage(from: sim.peer(0).bytes, data: [UInt8(round), UInt8($0), 9], seqno: [2], topic: topic) }
            sim.execute(sim.routers[1].receive(GossipRPC(messages: batch), from: sim.peer(0), now: sim.now), at: 1)
            #expect(sim.routers[1].footprint.seen <= 100)
        }
        // Pushed out by capacity; and after the TTL anything old is gone too.
        #expect(!sim.routers[1].hasSeen(config.messageID(first)))
        sim.now += .seconds(6)
        _ = sim.routers[1].heartbeat(now: sim.now)
        #expect(sim.routers[1].footprint.seen == 0)
    }

    @Test func invalidMessagesArePenalisedAndNotForwarded() throws {
        var sim = try RouterSimulator(count: 3, seed: 51)
        sim.connect(0, 1)
        sim.connect(1, 2)
        sim.subscribeAll(topic)
        sim.settle()
        sim.validator = { _, message in message.data.starts(with: Array("bad".utf8)) ? .reject : .accept }
        let forged = try sim.message(from: 0, topic: topic, data: Array("bad event".utf8))
        let actions = sim.routers[1].receive(GossipRPC(messages: [forged]), from: sim.peer(0), now: sim.now)
        sim.execute(actions, at: 1)
        let forwarded = sim.inFlight.contains { $0.rpc.messages.contains(forged) }
        #expect(!forwarded)
        #expect(sim.routers[1].score(of: sim.peer(0), now: sim.now) < 0)
        #expect(sim.routers[1].counters.rejected == 1)

        // A bad signature is rejected before the validator, with the same penalty.
        var tampered = try sim.message(from: 0, topic: topic, data: Array("good".utf8))
        tampered.data = Array("g00d".utf8)
        var asked = false
        sim.validator = { _, _ in asked = true; return .accept }
        sim.execute(sim.routers[1].receive(GossipRPC(messages: [tampered]), from: sim.peer(0), now: sim.now), at: 1)
        #expect(!asked)
        #expect(sim.routers[1].counters.rejected == 2)
        // Two invalid messages put the sender below the graylist threshold: it is ignored.
        #expect(sim.routers[1].score(of: sim.peer(0), now: sim.now) < GossipConfiguration().score.graylistThreshold)
        let valid = try sim.message(from: 0, topic: topic, data: Array("fine".utf8))
        sim.execute(sim.routers[1].receive(GossipRPC(messages: [valid]), from: sim.peer(0), now: sim.now), at: 1)
        #expect(sim.routers[1].counters.graylisted == 1)
        #expect(!asked)
        // The penalty decays: much later the peer is heard again.
        for _ in 0..<400 { sim.now += .seconds(1); _ = sim.routers[1].heartbeat(now: sim.now) }
        #expect(sim.routers[1].score(of: sim.peer(0), now: sim.now) > GossipConfiguration().score.graylistThreshold)
    }

    @Test func floodsStayBounded() throws {
        var config = GossipConfiguration()
        config.verifySignatures = false
        config.maxPendingValidations = 64
        config.cacheWindowCapacity = 100
        config.seenCapacity = 1000
        var sim = try RouterSimulator(count: 2, seed: 61, configuration: config)
        sim.connect(0, 1)
        sim.subscribeAll(topic)
        sim.settle()
        var generator = SplitMix64(seed: 61)
        // 1: messages the validator never judges: the queue caps, the rest is dropped.
        for _ in 0..<20 {
            let batch = (0..<500).map { _ in
                GossipMessage(from: sim.peer(0).bytes, data: (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }, seqno: [], topic: topic)
            }
            _ = sim.routers[1].receive(GossipRPC(messages: batch), from: sim.peer(0), now: sim.now)
        }
        #expect(sim.routers[1].footprint.pending == 64)
        #expect(sim.routers[1].counters.dropped == 20 * 500 - 64)
        // 2: IHAVE floods: at most maxIHaveMessages heeded and maxIHaveLength asked per heartbeat.
        var asked = 0
        for _ in 0..<50 {
            let ids = (0..<5000).map { _ in GossipMessageID((0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }) }
            for action in sim.routers[1].receive(GossipRPC(control: GossipControl(ihave: [GossipIHave(topic: topic, messageIDs: ids)])), from: sim.peer(0), now: sim.now) {
                if case .send(_, let rpc) = action { asked += rpc.control.iwant.count }
            }
        }
        #expect(asked == config.maxIHaveLength)
        #expect(sim.routers[1].footprint.promises <= config.maxPromises)
        // 3: accepted messages: the cache holds at most its windows' capacity.
        for round in 0..<10 {
            var published = 0
            while published < 300 {
                _ = try? sim.routers[0].publish(GossipMessage(from: sim.peer(0).bytes, data: [UInt8(round), UInt8(published & 0xff), UInt8(published >> 8)], seqno: [], topic: topic), now: sim.now)
                published += 1
            }
            sim.now += .seconds(1)
            _ = sim.routers[0].heartbeat(now: sim.now)
            #expect(sim.routers[0].footprint.cached <= config.historyLength * config.cacheWindowCapacity)
            #expect(sim.routers[0].footprint.seen <= config.seenCapacity)
        }
    }

    @Test(arguments: [UInt64(5), 6])
    func publishedMessageReachesEveryNode(seed: UInt64) throws {
        var sim = try RouterSimulator(count: 200, seed: seed)
        sim.connectRandomly(degree: 8, seed: seed)
        sim.subscribeAll(topic)
        sim.settle()
        for _ in 0..<5 { sim.heartbeat() }
        for round in 0..<5 {
            let id = try sim.publish(from: round * 31 % 200, topic: topic, data: Array("event \(round)".utf8))
            sim.settle()
            #expect(sim.count(of: id) == 200)
        }
        // Nobody delivered anything twice to the application.
        #expect(sim.delivered.allSatisfy { $0.values.allSatisfy { $0 == 1 } })
    }

    @Test func leavingPeersLeaveTheMeshAndAreReplaced() throws {
        var sim = try RouterSimulator(count: 8, seed: 71)
        for other in 1..<8 { sim.connect(0, other) }
        sim.subscribeAll(topic)
        sim.settle()
        sim.heartbeat()
        let meshBefore = sim.routers[0].meshPeers(topic)
        let leaving = try #require(meshBefore.first)
        let node = try #require(sim.index[leaving])
        sim.disconnect(0, node)
        #expect(!sim.routers[0].meshPeers(topic).contains(leaving))
        sim.heartbeat()
        #expect(sim.routers[0].meshPeers(topic).count >= GossipConfiguration().dLow)
    }
}
