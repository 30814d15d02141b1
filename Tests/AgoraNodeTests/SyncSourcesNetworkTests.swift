import AgoraCore
import AgoraNode
import AgoraStore
import AgoraSync
import AgoraTestSupport
import AgoraWire
import Foundation
import Testing

/// A node catching up from several peers: one ships the log, the others only what it lacks;
/// a source that goes silent or forges is replaced, and a restart resumes without re-sync.
@Suite struct SyncSourcesNetworkTests {
    /// `count` releases over `feeds` feeds, interleaved as a publishing node's log would be.
    static func releases(count: Int, feeds: Int, seed: UInt8) -> [Event] {
        var builders = (0..<feeds).map { FeedBuilder(seed: seed &+ UInt8($0)) }
        return (0..<count).map { builders[$0 % feeds].publish("scope\($0 % feeds)", "pkg\($0)", "1.0.0") }
    }

    /// Whether `node` holds the newest event of every feed in `events` (so, by the chain, all).
    static func holdsEveryFeed(_ node: TestNode, _ events: [Event]) throws -> Bool {
        var last: [PublicKey: Event] = [:]
        for event in events { last[event.author] = event }
        return try last.values.allSatisfy { try node.has($0) }
    }

    static func received(_ node: TestNode, from peers: [TestNode]) async -> UInt64 {
        var total: UInt64 = 0
        for peer in peers { total += await node.peerStatus(peer.peerID)?.eventsReceived ?? 0 }
        return total
    }

    /// Three sources with the same 5,000 events: the mirror is sent the log about once (before,
    /// every source sent all of it), and every session ends live at its peer's newest event.
    @Test func threeSourcesShipTheLogOnce() async throws {
        let events = Self.releases(count: 5000, feeds: 5, seed: 110)
        let sources = try (0..<3).map { try TestNode(host: "127.0.0.\(111 + $0)") }
        for source in sources {
            for chunk in stride(from: 0, to: events.count, by: 1000) {
                _ = try source.store.append(Array(events[chunk..<(chunk + 1000)]), verification: .chain)
            }
            try await source.start()
        }
        let mirror = try TestNode(host: "127.0.0.114", mirror: true)
        try await mirror.start(bootstrap: sources.flatMap(\.addresses))
        try await eventually("the mirror has every feed", within: .seconds(120)) { try Self.holdsEveryFeed(mirror, events) }
        try await eventually("every session is live") {
            var live = 0
            for source in sources where await mirror.peerStatus(source.peerID)?.live == true { live += 1 }
            return live == 3
        }
        // Batches of a catch-up are appended with the views deferred; the writer folds them
        // once the network goes quiet, to exactly the fold of the log.
        try await eventually("the mirror's views hold its log") { try mirror.store.viewProgress().lag == 0 }
        #expect(await mirror.node?.status().viewsLag == 0)
        let comparison = try mirror.store.verifyViews()
        #expect(comparison.equal && comparison.events >= 5000, "\(comparison.mismatch?.description ?? "")")
        let received = await Self.received(mirror, from: sources)
        var each: [UInt64] = []
        for source in sources { each.append(await mirror.peerStatus(source.peerID)?.eventsReceived ?? 0) }
        #expect(received >= 5000 && received < 7500, "sent about once, not three times: \(each)")
        for source in sources {
            #expect(try mirror.store.syncPosition(of: source.peerID.bytes) == source.store.lastLocalSeq(), "skimmed to the peer's end")
        }
        // The sources follow the mirror too: the one that shipped the log is not sent it back,
        try await eventually("every source is live with the mirror") {
            var live = 0
            for source in sources where await source.peerStatus(mirror.peerID)?.live == true { live += 1 }
            return live == 3
        }
        var echoed: [UInt64] = []
        for source in sources { echoed.append(await source.peerStatus(mirror.peerID)?.eventsReceived ?? 0) }
        // And none is sent back what it told the mirror it holds (`holdings`).
        #expect(echoed.max() ?? .max < 1250, "sent back to each source: \(echoed)")
        await mirror.stop()
        for source in sources { await source.stop() }
    }

    /// A source that follows the mirror it feeds is not sent back what it sent (only the
    /// mirror's own few events), yet its position passes over them; restarted with the same
    /// key and an empty store, it is sent everything again.
    @Test func aSourceIsNotSentBackWhatItSent() async throws {
        let events = Self.releases(count: 5000, feeds: 5, seed: 150)
        let identity = Identity.generate()
        let source = try TestNode(host: "127.0.0.151", identity: identity)
        for chunk in stride(from: 0, to: events.count, by: 1000) {
            _ = try source.store.append(Array(events[chunk..<(chunk + 1000)]), verification: .chain)
        }
        try await source.start()
        let mirror = try TestNode(host: "127.0.0.152", mirror: true)
        try await mirror.start(bootstrap: source.addresses)
        try await eventually("the mirror has every feed", within: .seconds(120)) { try Self.holdsEveryFeed(mirror, events) }
        try await eventually("the source has followed the mirror to its end", within: .seconds(120)) {
            let status = await source.peerStatus(mirror.peerID)
            return try status?.live == true && source.store.syncPosition(of: mirror.peerID.bytes) + 10 >= mirror.store.lastLocalSeq()
        }
        let sentBack = await source.peerStatus(mirror.peerID)?.eventsReceived ?? 0
        let sentForth = await mirror.peerStatus(source.peerID)?.eventsReceived ?? 0
        #expect(sentForth >= 5000)
        #expect(sentBack < 1250, "the mirror sent back \(sentBack) of the \(sentForth) it was sent")
        await source.stop()

        let restarted = try TestNode(host: "127.0.0.153", identity: identity)
        try await restarted.start(bootstrap: mirror.addresses)
        try await eventually("the source restarted empty has every feed again", within: .seconds(120)) {
            try Self.holdsEveryFeed(restarted, events)
        }
        await restarted.stop()
        await mirror.stop()
    }

    /// The first source answers nothing after the mirror's first request; another peer that
    /// connects takes over the catch-up and the mirror gets everything.
    @Test func aSilentSourceIsReplaced() async throws {
        let events = Self.releases(count: 3000, feeds: 3, seed: 120)
        let honest = try TestNode(host: "127.0.0.121")
        for chunk in stride(from: 0, to: events.count, by: 1000) {
            _ = try honest.store.append(Array(events[chunk..<(chunk + 1000)]), verification: .chain)
        }
        let mirror = try TestNode(host: "127.0.0.122", mirror: true)
        mirror.takeoverAfter = .seconds(1)
        let silent = P2PHost(identity: Identity.generate())
        let asked = AsyncStream.makeStream(of: Void.self)
        try await withRunningHost(silent) { silent in
            try await silent.handle(SyncProtocol.id) { stream in
                guard try await stream.readLengthPrefixed(maxLength: 1 << 20) != nil else { return }
                asked.continuation.yield()
                _ = try await stream.readToEnd(maxLength: 1 << 20)
            }
            let silentAddress = try await silent.listen(on: Multiaddr(parsing: "/ip4/127.0.0.123/tcp/0")).withPeerID(silent.peerID)
            try await mirror.start(bootstrap: [silentAddress])
            // The silent peer leads the catch-up before the honest one is even connected.
            _ = await asked.stream.first { _ in true }
            try await honest.start(bootstrap: mirror.addresses)
            try await eventually("the mirror has every feed", within: .seconds(120)) { try Self.holdsEveryFeed(mirror, events) }
            #expect(try mirror.store.syncPosition(of: honest.peerID.bytes) == honest.store.lastLocalSeq())
            await mirror.stop()
            await honest.stop()
        }
    }

    /// The leading source sends a genuine prefix of a feed and then a forged event: it is cut
    /// off and penalised, nothing forged is stored, and another peer completes the catch-up.
    @Test func aForgingSourceIsCutOffAndAnotherCompletes() async throws {
        let events = Self.releases(count: 600, feeds: 1, seed: 130)
        let honest = try TestNode(host: "127.0.0.131")
        _ = try honest.store.append(events, verification: .chain)
        let mirror = try TestNode(host: "127.0.0.132", mirror: true)
        let forger = P2PHost(identity: Identity.generate())
        let tampered = Self.tampered(events[100])
        try await withRunningHost(forger) { forger in
            try await forger.handle(SyncProtocol.id) { stream in
                guard let request = try await stream.readLengthPrefixed(maxLength: 1 << 20) else { return }
                let id = try SyncCodec.decodeRequest(request, limits: SyncLimits()).id
                try await stream.writeLengthPrefixed(SyncCodec.encode(SyncResponseFrame(
                    id: id, response: .events(Array(events.prefix(100)) + [tampered], through: 101, latest: 600))))
                _ = try await stream.readToEnd(maxLength: 1 << 20)
            }
            let forgerAddress = try await forger.listen(on: Multiaddr(parsing: "/ip4/127.0.0.133/tcp/0")).withPeerID(forger.peerID)
            try await mirror.start(bootstrap: [forgerAddress])
            try await eventually("the mirror cut the forger off") {
                await mirror.node?.status().cutOff.contains { $0.peerID == forger.peerID.base58 } == true
            }
            #expect(try !mirror.has(tampered))
            #expect(try mirror.has(events[99]), "the genuine prefix before the forged event was kept")
            try await honest.start(bootstrap: mirror.addresses)
            try await eventually("the mirror has the whole feed") { try mirror.has(events[599]) }
            try await eventually("the mirror's log records the penalty") { try mirror.hasPenalised(forger.peerID) }
            #expect(try mirror.store.syncPosition(of: forger.peerID.bytes) == 0)
            #expect(try !mirror.has(tampered))
            await mirror.stop()
            await honest.stop()
        }
    }

    /// A mirror of three interconnected sources is stopped while 3,000 events are published on
    /// one of them; restarted, it is sent about those 3,000 (not each source's whole log, and
    /// not once per source) and ends at every source's newest local sequence.
    @Test func aRestartedMirrorOfThreeResumesWithoutResync() async throws {
        var builders = (0..<3).map { FeedBuilder(seed: 140 &+ UInt8($0)) }
        let first = (0..<300).map { builders[$0 % 3].publish("scope\($0 % 3)", "pkg\($0)", "1.0.0") }
        let later = (0..<3000).map { builders[$0 % 3].publish("scope\($0 % 3)", "later\($0)", "1.0.0") }
        let a = try TestNode(host: "127.0.0.141")
        let b = try TestNode(host: "127.0.0.142")
        let c = try TestNode(host: "127.0.0.143")
        _ = try a.store.append(first, verification: .chain)
        try await a.start()
        try await b.start(bootstrap: a.addresses)
        try await c.start(bootstrap: a.addresses)
        try await eventually("B and C have the first events") { try Self.holdsEveryFeed(b, first) && Self.holdsEveryFeed(c, first) }
        let mirror = try TestNode(host: "127.0.0.144", mirror: true)
        try await mirror.start(bootstrap: a.addresses + b.addresses + c.addresses)
        try await eventually("the mirror is live with all three", within: .seconds(120)) {
            var live = 0
            for source in [a, b, c] where await mirror.peerStatus(source.peerID)?.live == true { live += 1 }
            return live == 3
        }
        await mirror.stop()

        for chunk in stride(from: 0, to: later.count, by: 1000) {
            _ = try a.store.append(Array(later[chunk..<(chunk + 1000)]), verification: .chain)
        }
        try await eventually("B and C have the new events", within: .seconds(120)) {
            try Self.holdsEveryFeed(b, later) && Self.holdsEveryFeed(c, later)
        }
        try await mirror.start(bootstrap: a.addresses + b.addresses + c.addresses)
        try await eventually("the mirror caught up", within: .seconds(120)) {
            var live = 0
            for source in [a, b, c] where await mirror.peerStatus(source.peerID)?.live == true { live += 1 }
            return try live == 3 && Self.holdsEveryFeed(mirror, later)
        }
        let received = await Self.received(mirror, from: [a, b, c])
        #expect(received >= 3000 && received < 4500, "resumed, and sent about once: \(received)")
        for source in [a, b, c] {
            #expect(try mirror.store.syncPosition(of: source.peerID.bytes) >= source.store.lastLocalSeq() - 10)
        }
        await mirror.stop()
        for node in [c, b, a] { await node.stop() }
    }

    /// `event` with the last byte of its body changed: it still decodes, its signature fails.
    static func tampered(_ event: Event) -> Event {
        var bytes = event.bytes
        bytes[event.signedLength - 1] ^= 0x01
        return try! Event(decoding: bytes)
    }
}
