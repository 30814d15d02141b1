import AgoraCore
import AgoraSync
import AgoraTestSupport
import Testing

/// A client that says what it holds (`holdings`) is sent held runs instead of those events;
/// false claims, forks under a claim and hostile runs cost only the party that made them.
@Suite struct SyncHoldingsTests {
    /// The client's log: every event of the server's log whose seq is within its feed's cut, in log order.
    static func prefixes(of events: [Event], cuts: [PublicKey: UInt64]) -> [Event] {
        events.filter { $0.seq <= cuts[$0.author] ?? 0 }
    }

    /// Seeded per-feed cuts (none, part, all of a feed): the client ends with the whole log, the
    /// server sent only what the client lacked (or did not claim, past `maxHeldFeeds`), and no
    /// run needed fetching.
    @Test(arguments: [
        (seed: 31, feeds: 5, count: 1500, page: 64, batch: 100, maxHeld: 4096),
        (seed: 32, feeds: 8, count: 3000, page: 2048, batch: 4096, maxHeld: 4096),
        (seed: 33, feeds: 6, count: 900, page: 16, batch: 8, maxHeld: 2),
        (seed: 34, feeds: 1, count: 400, page: 50, batch: 3, maxHeld: 4096),
    ])
    func heldEventsAreListedNotSent(seed: UInt64, feeds: Int, count: Int, page: Int, batch: Int, maxHeld: Int) throws {
        let events = SyncSimulation.log(seed: seed, feeds: feeds, count: count)
        var generator = SeededGenerator(seed: seed)
        var heads: [PublicKey: UInt64] = [:]
        for event in events { heads[event.author] = event.seq }
        var cuts: [PublicKey: UInt64] = [:]
        for (author, head) in heads {
            cuts[author] = switch Int.random(in: 0..<3, using: &generator) {
            case 0: 0
            case 1: UInt64.random(in: 1...head, using: &generator)
            default: head
            }
        }
        let server = MemoryLog(events)
        let client = MemoryLog(Self.prefixes(of: events, cuts: cuts))
        var limits = SyncLimits()
        limits.maxEventsPerBatch = batch
        limits.maxHeldFeeds = maxHeld
        limits.maxHoldingsPerPage = 2
        let holdings = try client.holdings(maxCount: maxHeld)
        var simulation = SyncSimulation(position: 0, holdings: holdings, configuration: .init(limits: limits, pageSize: UInt64(page)))
        try simulation.run(server: server, client: client)
        #expect(Set(client.events.map(\.id)) == Set(events.map(\.id)))
        #expect(simulation.machine.position == UInt64(count) && simulation.machine.headsChecked)
        let claimed = holdings.reduce(0) { $0 + Int($1.seq) }
        #expect(simulation.eventsSent == count - claimed, "sent only what was not claimed")
        #expect(simulation.machine.eventsHeld == UInt64(claimed))
        #expect(simulation.machine.heldMismatches == 0 && simulation.rejected == 0)
        #expect(!simulation.sent.contains { if case .range = $0 { true } else { false } })
        let pages = simulation.sent.filter { if case .holdings = $0 { true } else { false } }
        #expect(pages.count == (holdings.count + 1) / 2, "holdings paged by maxHoldingsPerPage")
    }

    /// Claims beyond what the client holds (seeded: whole feeds it lacks, seqs past its head):
    /// every run it cannot match is fetched by feed range, and it still ends with the whole log.
    @Test(arguments: [41, 42, 43]) func falseClaimsCostOnlyTheClaimant(seed: UInt64) throws {
        let events = SyncSimulation.log(seed: seed, feeds: 4, count: 800)
        var generator = SeededGenerator(seed: seed)
        var heads: [PublicKey: UInt64] = [:]
        for event in events { heads[event.author] = event.seq }
        var cuts: [PublicKey: UInt64] = [:]
        var claims: [HeldFeed] = []
        for (author, head) in heads.sorted(by: { $0.key < $1.key }) {
            let cut = UInt64.random(in: 0...head, using: &generator)
            cuts[author] = cut
            claims.append(HeldFeed(author: author, seq: UInt64.random(in: max(cut, 1)...(head + 5), using: &generator)))
        }
        let server = MemoryLog(events)
        let client = MemoryLog(Self.prefixes(of: events, cuts: cuts))
        var limits = SyncLimits()
        limits.maxEventsPerBatch = 64
        var simulation = SyncSimulation(position: 0, holdings: claims, configuration: .init(limits: limits, pageSize: 100))
        try simulation.run(server: server, client: client)
        #expect(Set(client.events.map(\.id)) == Set(events.map(\.id)))
        #expect(simulation.machine.headsChecked && simulation.machine.lag == 0)
        let lied = claims.contains { $0.seq > cuts[$0.author]! }
        #expect((simulation.machine.heldMismatches > 0) == lied)
        #expect(simulation.sent.contains { if case .range = $0 { true } else { false } } == lied)
    }

    /// The client holds a fork of a feed from seq 6 on and claims it through 10: the server's runs
    /// that end in the fork carry an ID the client lacks, so those events are fetched and the
    /// client's log refuses the conflicting ones (a store keeps them as evidence), keeping its own.
    @Test func aForkUnderAClaimIsFetched() throws {
        var serverFeed = FeedBuilder(seed: 60)
        var clientFeed = FeedBuilder(seed: 60)
        var shared: [Event] = []
        for index in 0..<5 {
            let event = serverFeed.publish("acme", "p\(index)", "1.0.0")
            _ = clientFeed.publish("acme", "p\(index)", "1.0.0")
            shared.append(event)
        }
        let serverTail = (5..<10).map { serverFeed.publish("acme", "p\($0)", "1.0.0") }
        let clientTail = (5..<10).map { clientFeed.publish("acme", "fork\($0)", "2.0.0") }
        #expect(shared.count == 5 && serverTail[0].seq == 6 && clientTail[0].seq == 6 && serverTail[0].id != clientTail[0].id)
        let server = MemoryLog(shared + serverTail)
        let client = MemoryLog(shared + clientTail)
        var simulation = SyncSimulation(
            position: 0, holdings: [HeldFeed(author: serverFeed.key, seq: 10)], configuration: .init(pageSize: 4))
        try simulation.run(server: server, client: client)
        // The first (open-ended) reply holds the whole feed as one run, ending in the fork; it is
        // fetched in ranges of one page (4).
        #expect(simulation.machine.eventsHeld == 10 && simulation.machine.heldMismatches == 10)
        #expect(simulation.sent.contains(.range(author: serverFeed.key, from: 1, to: 4)))
        #expect(simulation.sent.contains(.range(author: serverFeed.key, from: 5, to: 8)))
        #expect(simulation.sent.contains(.range(author: serverFeed.key, from: 9, to: 10)))
        #expect(simulation.rejected == 5, "the server's fork was delivered and refused")
        #expect(client.events == shared + clientTail)
    }

    /// Held runs a client never claimed, beyond its claim, or listed twice in one reply are
    /// protocol violations.
    @Test(arguments: 0..<3) func unclaimedHeldRunsAreViolations(kind: Int) throws {
        var feed = FeedBuilder(seed: 70)
        var other = FeedBuilder(seed: 71)
        let event = feed.publish("acme", "a", "1.0.0")
        let stranger = other.publish("beta", "b", "1.0.0")
        var machine = SyncClientMachine(position: 0, holdings: [HeldFeed(author: feed.key, seq: 5)])
        let start = machine.start()
        #expect(start.count == 2)
        guard case .send(let holdings) = start[0], case .send(let changes) = start[1] else { Issue.record("\(start)"); return }
        #expect(holdings.request == .holdings([HeldFeed(author: feed.key, seq: 5)]))
        _ = try machine.receive(SyncResponseFrame(id: holdings.id, response: .kept(1)))
        let runs: [HeldRun] = switch kind {
        case 0: [HeldRun(author: stranger.author, first: 1, last: 1, lastID: stranger.id)]
        case 1: [HeldRun(author: feed.key, first: 1, last: 6, lastID: event.id)]
        default: [HeldRun(author: feed.key, first: 1, last: 1, lastID: event.id), HeldRun(author: feed.key, first: 2, last: 2, lastID: event.id)]
        }
        #expect(throws: SyncError.self) {
            try machine.receive(SyncResponseFrame(id: changes.id, response: .events([], through: 5, latest: 5, held: runs)), holds: runs.map { _ in true })
        }
    }

    /// The server keeps at most `maxHeldFeeds` feeds per stream; a later claim on a kept feed replaces it.
    @Test func theServerKeepsABoundedClaimTable() {
        let keys = (0..<10).map { FeedBuilder(seed: UInt8(80 + $0)).key }
        var held = HeldFeeds()
        #expect(held.add(keys.prefix(6).map { HeldFeed(author: $0, seq: 3) }, limit: 4) == 4)
        #expect(held.through.count == 4)
        #expect(held.add([HeldFeed(author: keys[0], seq: 9), HeldFeed(author: keys[9], seq: 1)], limit: 4) == 1)
        #expect(held.through[keys[0]] == 9 && held.through[keys[9]] == nil)
    }

    /// Holdings requests, `kept` replies and held runs round-trip; a holdings page or a run list
    /// over its bound, a run at seq 0, backwards, or with a short ID is malformed.
    @Test func holdingsFramesAreBounded() throws {
        let events = SyncSimulation.log(seed: 90, feeds: 3, count: 30)
        let feeds = Array(Set(events.map(\.author))).sorted().map { HeldFeed(author: $0, seq: 7) }
        let run = HeldRun(author: feeds[0].author, first: 2, last: 9, lastID: events[3].id)
        let request = SyncRequestFrame(id: 4, request: .holdings(feeds))
        let reply = SyncResponseFrame(id: 5, response: .events(Array(events.prefix(3)), through: 9, latest: 30, held: [run]))
        #expect(try SyncCodec.decodeRequest(SyncCodec.encode(request), limits: SyncLimits()) == request)
        #expect(try SyncCodec.decodeResponse(SyncCodec.encode(reply), limits: SyncLimits()) == reply)
        let kept = SyncResponseFrame(id: 6, response: .kept(3))
        #expect(try SyncCodec.decodeResponse(SyncCodec.encode(kept), limits: SyncLimits()) == kept)

        var small = SyncLimits()
        small.maxHoldingsPerPage = 2
        small.maxHeldFeeds = 1
        #expect(throws: SyncError.self) { try SyncCodec.decodeRequest(SyncCodec.encode(request), limits: small) }
        let twoRuns = SyncResponseFrame(id: 7, response: .events([], through: 9, latest: 9, held: [run, run]))
        #expect(throws: SyncError.self) { try SyncCodec.decodeResponse(SyncCodec.encode(twoRuns), limits: small) }
        for bad in [
            HeldRun(author: run.author, first: 0, last: 3, lastID: run.lastID),
            HeldRun(author: run.author, first: 5, last: 4, lastID: run.lastID),
        ] {
            let frame = SyncResponseFrame(id: 8, response: .events([], through: 9, latest: 9, held: [bad]))
            #expect(throws: SyncError.self) { try SyncCodec.decodeResponse(SyncCodec.encode(frame), limits: SyncLimits()) }
        }
        let zero = SyncRequestFrame(id: 9, request: .holdings([HeldFeed(author: feeds[0].author, seq: 0)]))
        #expect(throws: SyncError.self) { try SyncCodec.decodeRequest(SyncCodec.encode(zero), limits: SyncLimits()) }
        // A run whose ID is cut short, spliced in by hand (field 4 of HeldRun: 31 bytes).
        var writer = RawProtobufWriter()
        writer.writeVarint(field: 1, 10)
        writer.writeMessage(field: 3) { events in
            events.writeVarint(field: 2, 9)
            events.writeMessage(field: 4) { held in
                held.writeBytes(field: 1, run.author.bytes)
                held.writeVarint(field: 2, 1)
                held.writeVarint(field: 3, 2)
                held.writeBytes(field: 4, run.lastID.bytes.prefix(31))
            }
        }
        #expect(throws: SyncError.self) { try SyncCodec.decodeResponse(writer.bytes, limits: SyncLimits()) }
    }
}
