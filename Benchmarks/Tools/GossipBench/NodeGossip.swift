import AgoraCore
import AgoraMigrations
import AgoraNode
import AgoraStore
import AgoraSync
import AgoraTestSupport
import AgoraWire
import Foundation
import Logging

extension GossipBench {
    /// Whole nodes (`AgoraNode`: host, LMDB store, sync serving, gossip admitting through the
    /// one writer) on a random graph, sync following nobody, so only gossip moves an event. Each
    /// event is written on a random node the way the daemon's own writes are (writer + log), and
    /// a node "has" it when its log's commit is seen: validation, append and commit included.
    static func nodeGossip(nodes count: Int, events: Int, degree: Int) async throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("gossip-bench-nodes-\(getpid())")
        defer { try? FileManager.default.removeItem(at: scratch) }
        var generator = SplitMix64(seed: 7)
        let links = randomGraph(nodes: count, degree: degree, using: &generator)
        var logger = Logger(label: "bench.node")
        logger.logLevel = .error
        var nodes: [AgoraNode] = []
        var addresses: [Multiaddr] = []
        var tasks: [Task<Void, Never>] = []
        let arrivals = Arrivals()
        for index in 0..<count {
            let store = try Store(
                directory: scratch.appendingPathComponent("node\(index)"), migrations: AgoraMigrations.all, views: nil)
            var configuration = NodeConfiguration(
                listen: [try Multiaddr(parsing: "/ip4/127.0.0.1/tcp/0")],
                bootstrap: links.filter { $0[1] == index }.map { addresses[$0[0]] }, followPeers: false)
            configuration.host = Self.configuration()
            configuration.host.identifyOnConnect = true
            let (bound, continuation) = AsyncStream.makeStream(of: [Multiaddr].self)
            let identity = try Identity(seed: [202, UInt8(index & 0xff), UInt8(index >> 8)] + Array(repeating: 0, count: 29))
            let node = try AgoraNode(identity: identity, store: store, configuration: configuration, logger: logger) {
                continuation.yield($0)
                continuation.finish()
            }
            nodes.append(node)
            tasks.append(Task { try? await node.run() })
            guard let address = await bound.first(where: { _ in true })?.first else { throw BenchError("node \(index) did not listen") }
            addresses.append(address)
            tasks.append(Task { await record(node.log, as: index, in: arrivals) })
        }
        var linksOf = [Int](repeating: 0, count: count)
        for link in links { linksOf[link[0]] += 1; linksOf[link[1]] += 1 }
        try await meshesFormed(nodes.map(\.gossip.service), links: linksOf, topic: nodes[0].gossip.topic)

        var feed = FeedBuilder(seed: 9)
        var propagation = Propagation(nodes: count)
        for round in 0..<events {
            let origin = Int.random(in: 0..<count, using: &generator)
            let event = feed.publish("bench", "event\(round)", "1.0.0")
            let localSeq = UInt64(round + 1)
            let start = ContinuousClock.now
            _ = try await nodes[origin].writer.perform { try $0.append([event], verification: .chain) }
            await nodes[origin].log.advance(to: localSeq)
            let deadline = start + .seconds(10)
            while await arrivals.count(localSeq) < count, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(1))
            }
            propagation.add(await arrivals.times(localSeq, except: origin), since: start)
            try await Task.sleep(for: .milliseconds(100))
        }
        var delivered = 0, duplicates = 0
        for node in nodes {
            let counters = await node.gossip.service.counters
            delivered += counters.delivered
            duplicates += counters.duplicates
        }
        print("node gossip: \(count) AgoraNodes (LMDB store each), ~\(degree) links each, \(events) events from random nodes")
        propagation.print(duplicates: duplicates, delivered: delivered)
        for task in tasks { task.cancel() }
        for task in tasks { await task.value }
    }

    /// Records, for each local sequence `log` reaches, when node `index` reached it (every node
    /// appends the same events in the same order, so local seq k is the k-th event everywhere).
    private static func record(_ log: LogWatcher, as index: Int, in arrivals: Arrivals) async {
        var seen = await log.latest
        while !Task.isCancelled {
            await log.wait(beyond: seen, timeout: .seconds(1))
            let latest = await log.latest
            guard latest > seen else { continue }
            let now = ContinuousClock.now
            for localSeq in (seen + 1)...latest { await arrivals.record(localSeq, node: index, at: now) }
            seen = latest
        }
    }
}
