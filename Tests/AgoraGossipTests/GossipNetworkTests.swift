import AgoraCore
import AgoraGossip
import AgoraWire
import Testing

/// Real hosts on loopback: every suite here opens sockets, so it runs in the serial phase.
@Suite(.serialized) struct GossipNetworkTests {
    let topic = "agora/test/1"

    @Test func publishedEventReachesTwelveNodes() async throws {
        let cluster = try await GossipCluster(count: 12, seed: 90)
        do {
            try await cluster.connectRandomly(degree: 5, seed: 90)
            await cluster.subscribeAll(topic)
            // Meshes form within a few heartbeats.
            let meshed = await GossipCluster.waitFor {
                for service in cluster.services where await service.meshPeers(topic).isEmpty { return false }
                return true
            }
            #expect(meshed)
            let receivers = cluster.services.indices.dropFirst().map { index in
                Task { () -> [GossipMessageID] in
                    var ids: [GossipMessageID] = []
                    for await delivery in cluster.services[index].deliveries {
                        ids.append(delivery.id)
                        if ids.count == 3 { break }
                    }
                    return ids
                }
            }
            var published: [GossipMessageID] = []
            for round in 0..<3 {
                published.append(try await cluster.services[0].publish(Array("event \(round)".utf8), topic: topic))
            }
            let all = await GossipCluster.waitFor {
                for service in cluster.services.dropFirst() where await service.counters.delivered < 3 { return false }
                return true
            }
            #expect(all)
            for receiver in receivers {
                receiver.cancel()
                let ids = await receiver.value
                #expect(Set(ids) == Set(published))
            }
        } catch {
            try await cluster.shutdown()
            throw error
        }
        try await cluster.shutdown()
    }

    @Test func rejectedMessagesAreNotForwardedAndCostTheSender() async throws {
        // A rejects anything starting with "forged"; C sits behind A only.
        let cluster = try await GossipCluster(count: 3, seed: 91) { message, _ in
            message.data.starts(with: Array("forged".utf8)) ? .reject : .accept
        }
        do {
            try await cluster.connect(0, 1)
            try await cluster.connect(0, 2)
            await cluster.subscribeAll(topic)
            #expect(await GossipCluster.waitFor { await cluster.services[0].meshPeers(topic).count == 2 })
            try await cluster.services[1].publish(Array("forged event".utf8), topic: topic)
            try await cluster.services[1].publish(Array("good event".utf8), topic: topic)
            #expect(await GossipCluster.waitFor { await cluster.services[2].counters.delivered == 1 })
            #expect(await cluster.services[0].counters.rejected == 1)
            #expect(await cluster.services[0].score(of: cluster.hosts[1].peerID) < 0)
            // C never saw the forged message at all.
            let c = await cluster.services[2].counters
            #expect(c.rejected == 0 && c.delivered == 1)
        } catch {
            try await cluster.shutdown()
            throw error
        }
        try await cluster.shutdown()
    }

    @Test func aPeerThatNeverReadsIsDropped() async throws {
        let cluster = try await GossipCluster(count: 2, seed: 94)
        do {
            let (node, silent) = (cluster.hosts[0], cluster.hosts[1])
            // The silent peer accepts our gossip stream and never reads from it.
            for protocolID in GossipProtocol.all {
                try await silent.handle(protocolID) { _ in try await Task.sleep(for: .seconds(3600)) }
            }
            await cluster.services[0].subscribe(topic)
            try await silent.connect(to: cluster.addresses[0])
            let stream = try await silent.newStream(to: node.peerID, protocols: [GossipProtocol.v11])
            try await stream.writeLengthPrefixed(GossipRPCCodec.encode(GossipRPC(subscriptions: [GossipSubscription(subscribe: true, topic: topic)])))
            #expect(await GossipCluster.waitFor { await cluster.services[0].peers().contains(silent.peerID) })
            // 40 MiB of messages against a send queue of 8 MiB and yamux's 256 KiB window.
            for round in 0..<200 {
                try await cluster.services[0].publish(Array(repeating: UInt8(round & 0xff), count: 200 << 10) + [UInt8(round >> 8)], topic: topic)
                if await cluster.services[0].slowPeersDropped > 0 { break }
            }
            #expect(await GossipCluster.waitFor { await cluster.services[0].slowPeersDropped == 1 })
            #expect(await !cluster.services[0].peers().contains(silent.peerID))
            await stream.reset()
        } catch {
            try await cluster.shutdown()
            throw error
        }
        try await cluster.shutdown()
    }
}
