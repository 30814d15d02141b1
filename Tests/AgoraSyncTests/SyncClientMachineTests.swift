import AgoraCore
import AgoraSync
import AgoraTestSupport
import Testing

@Suite struct SyncClientMachineTests {
    /// Logs of several feeds replicate completely whatever the page size and batch bounds,
    /// from zero and from a position part-way, with at most `maxInFlight` requests open.
    @Test(arguments: [
        (seed: 1, feeds: 1, count: 1, page: 1, batch: 1, inFlight: 1, start: 0),
        (seed: 2, feeds: 3, count: 500, page: 7, batch: 5, inFlight: 4, start: 0),
        (seed: 3, feeds: 10, count: 1000, page: 64, batch: 3000, inFlight: 2, start: 0),
        (seed: 4, feeds: 5, count: 777, page: 100, batch: 33, inFlight: 8, start: 300),
        (seed: 5, feeds: 2, count: 50, page: 2048, batch: 4096, inFlight: 4, start: 50),
    ])
    func replicatesEveryEventInFeedOrder(seed: Int, feeds: Int, count: Int, page: Int, batch: Int, inFlight: Int, start: Int) throws {
        let events = SyncSimulation.log(seed: UInt64(seed), feeds: feeds, count: count)
        let server = MemoryLog(events)
        let client = MemoryLog(Array(events.prefix(start)))
        var limits = SyncLimits()
        limits.maxEventsPerBatch = batch
        limits.maxInFlight = inFlight
        var simulation = SyncSimulation(position: UInt64(start), configuration: .init(limits: limits, pageSize: UInt64(page)))
        try simulation.run(server: server, client: client)
        #expect(Set(client.events.map(\.id)) == Set(events.map(\.id)))
        #expect(simulation.machine.position == UInt64(count))
        #expect(simulation.machine.headsChecked)
        #expect(simulation.maxOutstanding <= inFlight + 1)
        #expect(simulation.appendedPositions == simulation.appendedPositions.sorted(), "positions only move forward")
        // Resuming asks from the stored position, never from zero.
        if case .changes(let after, _, _) = simulation.sent.first { #expect(after == UInt64(start)) } else { Issue.record("first request") }
        #expect(!simulation.sent.contains { if case .changes(let after, _, _) = $0 { after < UInt64(start) } else { false } })
    }

    /// A position beyond what the peer has (its store was replaced) misses events; the
    /// signed-heads check finds the feeds the peer is ahead on and fetches them by range.
    @Test func headsCheckFetchesWhatAStalePositionMissed() throws {
        let events = SyncSimulation.log(seed: 9, feeds: 4, count: 300)
        let server = MemoryLog(events)
        let client = MemoryLog()
        var limits = SyncLimits()
        limits.maxHeadsPerPage = 3
        var simulation = SyncSimulation(position: 10_000, configuration: .init(limits: limits, pageSize: 16))
        try simulation.run(server: server, client: client)
        #expect(Set(client.events.map(\.id)) == Set(events.map(\.id)))
        #expect(simulation.sent.contains { if case .range = $0 { true } else { false } })
    }

    /// A skimming session (another peer already shipped most of the log) is sent only the
    /// events the client lacks, whatever part of the server's log that is, and ends at the
    /// server's newest local sequence; a lag within one page is fetched as a plain changes feed.
    @Test(arguments: [
        (seed: 11, feeds: 6, count: 2000, have: 1500, page: 64, start: 0),
        (seed: 12, feeds: 3, count: 900, have: 900, page: 32, start: 100),
        (seed: 13, feeds: 8, count: 3000, have: 0, page: 256, start: 0),
        (seed: 14, feeds: 4, count: 600, have: 580, page: 2048, start: 550),
    ])
    func skimmingFetchesOnlyWhatTheClientLacks(seed: Int, feeds: Int, count: Int, have: Int, page: Int, start: Int) throws {
        let events = SyncSimulation.log(seed: UInt64(seed), feeds: feeds, count: count)
        let server = MemoryLog(events)
        // What the other source delivered: a prefix of each feed (every event before `have` in log order).
        let client = MemoryLog(Array(events.prefix(have)))
        var limits = SyncLimits()
        limits.maxHeadsPerPage = 2
        var simulation = SyncSimulation(position: UInt64(start), skim: true, configuration: .init(limits: limits, pageSize: UInt64(page)))
        try simulation.run(server: server, client: client)
        #expect(Set(client.events.map(\.id)) == Set(events.map(\.id)))
        #expect(simulation.machine.position == UInt64(count))
        #expect(simulation.machine.headsChecked && simulation.machine.lag == 0)
        #expect(simulation.appendedPositions == simulation.appendedPositions.sorted(), "positions only move forward")
        if count - start > page {
            #expect(simulation.eventsSent == count - have, "skimmed: only the missing events were sent")
            #expect(simulation.machine.skipped == UInt64(count - start))
            #expect(!simulation.sent.contains { if case .changes(_, let upTo, _) = $0 { upTo != UInt64(start) && upTo != .max } else { false } },
                    "no pages of the changes feed")
        } else {
            #expect(simulation.machine.skipped == 0)
            #expect(simulation.eventsSent <= count - start)
        }
    }

    @Test func aForgedHeadIsReported() throws {
        var feed = FeedBuilder(seed: 40)
        let genuine = feed.publish("acme", "lib", "1.0.0")
        var forgedBytes = genuine.bytes
        forgedBytes[forgedBytes.count - 1] ^= 1
        let forged = try Event(decoding: forgedBytes)
        var machine = SyncClientMachine(position: 0)
        let first = machine.start()
        guard case .send(let probe) = first.first else { Issue.record("no probe"); return }
        let next = try machine.receive(SyncResponseFrame(id: probe.id, response: .events([], through: 0, latest: 0)))
        guard case .send(let heads) = next.first, case .heads = heads.request else { Issue.record("no heads request: \(next)"); return }
        #expect(throws: SyncError.forgedEvent(author: forged.author, seq: 1)) {
            try machine.receive(SyncResponseFrame(id: heads.id, response: .heads([forged], more: false)))
        }
    }

    /// Replies that do not fit the open requests are protocol violations, never accepted.
    @Test(arguments: 0..<5) func mismatchedRepliesAreViolations(kind: Int) throws {
        var machine = SyncClientMachine(position: 5)
        guard case .send(let probe) = machine.start().first else { Issue.record("no probe"); return }
        let reply: SyncResponseFrame = switch kind {
        case 0: SyncResponseFrame(id: probe.id + 1, response: .events([], through: 5, latest: 5))
        case 1: SyncResponseFrame(id: probe.id, response: .heads([], more: false))
        case 2: SyncResponseFrame(id: probe.id, response: .events([], through: 4, latest: 9))
        case 3: SyncResponseFrame(id: probe.id, response: .events([], through: 12, latest: 9))
        default: SyncResponseFrame(id: probe.id, response: .events([], through: 5, latest: 9))
        }
        #expect(throws: SyncError.self) { try machine.receive(reply) }
    }

    @Test func aRemoteFailureIsNotMisbehaviour() throws {
        var machine = SyncClientMachine(position: 0)
        guard case .send(let probe) = machine.start().first else { Issue.record("no probe"); return }
        do {
            _ = try machine.receive(SyncResponseFrame(id: probe.id, response: .failure("disk full")))
            Issue.record("accepted a failure")
        } catch {
            #expect(error == .remote("disk full"))
            #expect(!error.isMisbehaviour)
        }
    }
}
