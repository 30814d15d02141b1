import AgoraCore
import AgoraSync
import AgoraTestSupport

/// Runs a client machine against a server log with no sockets: requests are answered in
/// order by `SyncResponder`, every frame goes through the codec both ways, and the run ends
/// when the client, caught up, asks to wait for news.
struct SyncSimulation {
    var machine: SyncClientMachine
    /// Requests sent, oldest first.
    var sent: [SyncRequest] = []
    var maxOutstanding = 0
    var appendedPositions: [UInt64] = []
    /// Events the client's log refused (gaps, forks).
    var rejected = 0

    /// The server's record of what this client said it holds.
    var held = HeldFeeds()

    init(position: UInt64, skim: Bool = false, holdings: [HeldFeed] = [], configuration: SyncClientMachine.Configuration) {
        machine = SyncClientMachine(position: position, skim: skim, holdings: holdings, configuration: configuration)
    }
    /// Events the server sent (duplicates included).
    var eventsSent: Int { Int(machine.eventsReceived) }

    mutating func run(server: MemoryLog, client: MemoryLog, steps: Int = 100_000) throws {
        var queue: [SyncRequestFrame] = []
        var actions = machine.start()
        for _ in 0..<steps {
            var index = 0
            while index < actions.count {
                switch actions[index] {
                case .send(let frame):
                    let decoded = try SyncCodec.decodeRequest(SyncCodec.encode(frame), limits: machine.configuration.limits)
                    queue.append(decoded)
                    sent.append(decoded.request)
                case .append(let events, let position):
                    let report = client.append(events)
                    if let forged = report.forged { throw SyncError.forgedEvent(author: forged.author, seq: forged.seq) }
                    rejected += report.rejected
                    if let position { appendedPositions.append(position) }
                case .compareHeads(let authors):
                    actions += machine.compared(localSeqs: try client.headSeqs(of: authors))
                }
                index += 1
            }
            maxOutstanding = max(maxOutstanding, queue.count)
            guard !queue.isEmpty else { return }
            let request = queue.removeFirst()
            if case .changes(_, _, let wait) = request.request, wait > 0, machine.lag == 0, queue.isEmpty {
                return
            }
            guard case .reply(let response) = try SyncResponder.answer(
                request.request, source: server, limits: machine.configuration.limits, mayWait: false, held: &held)
            else { return }
            let bytes = SyncCodec.encode(SyncResponseFrame(id: request.id, response: response))
            let frame = try SyncCodec.decodeResponse(bytes, limits: machine.configuration.limits)
            var holds: [Bool] = []
            if case .events(_, _, _, let runs) = frame.response, !runs.isEmpty { holds = try client.holds(runs) }
            actions = try machine.receive(frame, holds: holds)
        }
        throw SimulationError.didNotSettle
    }

    enum SimulationError: Error { case didNotSettle }

    /// `feeds` interleaved feeds of `count` events in all, in a seeded random order that keeps
    /// each feed in its own order (as any node's log is).
    static func log(seed: UInt64, feeds: Int, count: Int) -> [Event] {
        var generator = SeededGenerator(seed: seed)
        var builders = (0..<feeds).map { FeedBuilder(seed: UInt8(truncatingIfNeeded: Int(seed) &* 7 &+ $0 &+ 1)) }
        var events: [Event] = []
        for index in 0..<count {
            let feed = Int.random(in: 0..<feeds, using: &generator)
            events.append(builders[feed].publish("scope\(feed)", "pkg\(index)", "1.0.\(index)"))
        }
        return events
    }
}
