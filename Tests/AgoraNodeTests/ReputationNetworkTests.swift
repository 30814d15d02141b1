import AgoraBlob
import AgoraCore
import AgoraNode
import AgoraRegistry
import AgoraStore
import AgoraTestSupport
import AgoraViews
import AgoraWire
import Foundation
import Testing

/// Reputation on real nodes over loopback: what a node observes becomes signed events in its
/// feed, folds into its scores, and changes whom it asks; equivocation evidence spreads.
@Suite struct ReputationNetworkTests {
    /// A corrupt source is penalised in the log (and cut off) while the download completes from
    /// the honest one; a later client on the same home, with fresh in-memory state, no longer
    /// asks the corrupt source at all: only the durable score can tell it.
    @Test func aCorruptSourceIsPenalisedDurablyAndAvoidedNextTime() async throws {
        let publisher = try RegistryTestNode(host: "127.0.0.61")
        let first = try publisher.publish("acme", "big", "1.0.0", size: 1 << 20, seed: 21)
        let second = try publisher.publish("acme", "other", "1.0.0", size: 600_000, seed: 22)
        let (honest, evil) = try await ArchiveReplicationNetworkTests.honestAndCorruptSources(serving: publisher.store)
        try await withRunningHost(honest) { honest in
            try await withRunningHost(evil) { evil in
                _ = try await honest.listen(on: Multiaddr(parsing: "/ip4/127.0.0.62/tcp/0"))
                _ = try await evil.listen(on: Multiaddr(parsing: "/ip4/127.0.0.63/tcp/0"))
                let sources = [
                    try #require(await honest.listenAddresses.first).withPeerID(honest.peerID),
                    try #require(await evil.listenAddresses.first).withPeerID(evil.peerID),
                ]
                let home = try RegistryTestNode(host: "127.0.0.64")
                let reporter = Identity.generate()

                try await NetworkClient.with(
                    store: home.store, peers: sources, host: RegistryTestNode.patientHost, reporter: .key(reporter)
                ) { network in
                    try await eventually("both sources are connected") { await network.node.host.connectedPeers.count == 2 }
                    let report = try await network.blobs.fetch(first)
                    #expect(report.corruptPeers == [evil.peerID])
                    #expect(Set(report.chunksFetched.keys) == [honest.peerID])
                    try await eventually("the corrupt source is cut off") {
                        let cutOff = await network.node.status().cutOff.contains { $0.peerID == evil.peerID.base58 }
                        let connected = await network.node.host.connectedPeers
                        return cutOff && !connected.contains(evil.peerID)
                    }
                }
                #expect(try home.store.blob(first)?.count == publisher.store.blobSize(first))

                // The log holds the observations, signed by the reporter, and the scores fold them.
                let feed = try home.store.events(author: reporter.publicKey)
                let bodies = feed.compactMap { try? $0.decodedBody() }
                #expect(bodies.contains { if case .peerPenalised(let p) = $0 { p.peer == evil.peerID.bytes && p.evidence == first.bytes } else { false } })
                let evilScore = try #require(try home.store.peerScore(of: evil.peerID.bytes, reportedBy: reporter.publicKey))
                let honestScore = try #require(try home.store.peerScore(of: honest.peerID.bytes, reportedBy: reporter.publicKey))
                #expect(evilScore.penalties >= 1 && evilScore.digestMismatches >= 1)
                let now = UInt64(Date().timeIntervalSince1970 * 1000)
                #expect(evilScore.score(at: now) < PeerStanding.cutOffBelow)
                #expect(honestScore.successes >= 1 && honestScore.bytesServed >= UInt64(1 << 20))
                #expect(honestScore.score(at: now) > 0.5)

                try await NetworkClient.with(
                    store: home.store, peers: sources, host: RegistryTestNode.patientHost, reporter: .key(reporter)
                ) { network in
                    try await eventually("both sources are connected") { await network.node.host.connectedPeers.count == 2 }
                    #expect(!network.blobs.penalties.isPenalised(evil.peerID), "a fresh client: nothing in memory")
                    let report = try await network.blobs.fetch(second)
                    #expect(Set(report.sources.keys) == [honest.peerID], "the corrupt source was not even asked")
                    #expect(report.corruptPeers.isEmpty)
                }
                #expect(try home.store.hasBlob(second))
            }
        }
    }

    /// Author X signs two events at seq 2; A holds one branch, B the other. Whichever node
    /// meets both reports the fork, and C, which met neither fork event, receives the report
    /// and can check it on its own.
    @Test func equivocationEvidenceReachesAThirdNode() async throws {
        var x = FeedBuilder(seed: 77)
        x.publish("fork", "base", "1.0.0")
        var branch = x
        let left = x.publish("fork", "left", "1.0.0")
        let right = branch.publish("fork", "right", "1.0.0")
        let a = try TestNode(host: "127.0.0.65")
        let b = try TestNode(host: "127.0.0.66")
        let c = try TestNode(host: "127.0.0.67")
        _ = try a.store.append(x.events, verification: .chain)
        _ = try b.store.append(branch.events, verification: .chain)
        try await a.start()
        try await b.start(bootstrap: a.addresses)
        try await c.start(bootstrap: a.addresses)
        try await eventually("C holds a valid report of the fork") {
            try Self.reports(in: c.store).contains { $0.author == x.key && $0.seq == 2 && Set($0.ids) == [left.id, right.id] }
        }
        await c.stop()
        await b.stop()
        await a.stop()
    }

    /// A node whose store is wiped keeps its key and `node.head`: it signs no observation
    /// until sync brings its feed back from a peer, then continues the feed where it was, so
    /// the peer holding the old feed sees no fork.
    @Test func aWipedNodeWaitsForItsFeedBeforeSigningAgain() async throws {
        let records = try TemporaryDirectory()
        let nodeGuard = NodeFeedGuard(home: AgoraHome(url: records.url))
        let key = Identity.generate()
        let suspect = PeerID(identity: Identity.generate())
        let before = try TestNode(host: "127.0.0.68", identity: key)
        before.reporterGuard = nodeGuard
        let peer = try TestNode(host: "127.0.0.69")
        try await peer.start()
        try await before.start(bootstrap: peer.addresses)
        for round in 0..<3 {
            try #require(before.node).reputation.penalise(suspect, reason: "round \(round)")
            try await eventually("the peer holds observation \(round + 1)") {
                try peer.store.head(of: key.publicKey)?.seq ?? 0 > UInt64(round)
            }
        }
        await before.stop()
        let signed = try #require(try peer.store.head(of: key.publicKey))

        // The same key and record over an empty store, alone: nothing may be signed.
        let wiped = try TestNode(host: "127.0.0.68", identity: key)
        wiped.reporterGuard = nodeGuard
        try await wiped.start()
        let node = try #require(wiped.node)
        node.reputation.penalise(suspect, reason: "after the wipe")
        try await eventually("the node holds its observations") { node.reputation.held != nil }
        #expect(node.reputation.held?.recordedSeq == signed.seq)
        #expect(await node.status().reputationHeld != nil)
        #expect(try wiped.store.head(of: key.publicKey) == nil)
        await wiped.stop()

        // With the peer, sync restores the feed and signing continues it.
        try await wiped.start(bootstrap: peer.addresses)
        try await eventually("the feed is back") { try wiped.store.head(of: key.publicKey) == signed }
        try #require(wiped.node).reputation.penalise(suspect, reason: "after the feed is back")
        try await eventually("the peer holds the next observation") {
            try peer.store.head(of: key.publicKey)?.seq == signed.seq + 1
        }
        #expect(try peer.store.events(author: key.publicKey, from: signed.seq + 1).first?.prev == signed.id)
        #expect(try peer.store.equivocations(of: key.publicKey).isEmpty)
        #expect(wiped.node?.reputation.held == nil)
        await wiped.stop()
        await peer.stop()
    }

    static func reports(in store: Store) throws -> [EquivocationReport.Proof] {
        try store.events(since: 0, limit: Store.maxPageSize).compactMap { entry in
            guard case .equivocationReported(let report)? = try? entry.event.decodedBody() else { return nil }
            return report.proof
        }
    }
}
