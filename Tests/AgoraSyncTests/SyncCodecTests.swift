import AgoraCore
import AgoraSync
import AgoraTestSupport
import Testing

@Suite struct SyncCodecTests {
    static let events = SyncSimulation.log(seed: 21, feeds: 3, count: 40)

    static let requests: [SyncRequestFrame] = [
        .init(id: 1, request: .heads(after: nil)),
        .init(id: 2, request: .heads(after: events[0].author)),
        .init(id: 3, request: .range(author: events[1].author, from: 1, to: .max)),
        .init(id: .max, request: .changes(after: 0, upTo: .max, waitMillis: .max)),
    ]

    static let responses: [SyncResponseFrame] = [
        .init(id: 1, response: .heads([], more: false)),
        .init(id: 2, response: .heads(Array(events.prefix(3)), more: true)),
        .init(id: 3, response: .events(events, through: 40, latest: 99)),
        .init(id: 4, response: .events([], through: 7, latest: 7)),
        .init(id: 5, response: .failure("no")),
    ]

    @Test func framesRoundTrip() throws {
        for frame in Self.requests {
            #expect(try SyncCodec.decodeRequest(SyncCodec.encode(frame), limits: SyncLimits()) == frame)
        }
        for frame in Self.responses {
            #expect(try SyncCodec.decodeResponse(SyncCodec.encode(frame), limits: SyncLimits()) == frame)
        }
    }

    /// A server's reply of stored bytes is the same frame as one of decoded events, and decodes as that.
    @Test func storedEventsAreTheEventsFrame() throws {
        let held = [HeldRun(author: Self.events[0].author, first: 1, last: 2, lastID: Self.events[5].id)]
        let stored = SyncCodec.encode(SyncResponseFrame(id: 9, response: .storedEvents(Self.events.map(\.bytes), through: 40, latest: 41, held: held)))
        let decoded = SyncResponseFrame(id: 9, response: .events(Self.events, through: 40, latest: 41, held: held))
        #expect(stored == SyncCodec.encode(decoded))
        #expect(try SyncCodec.decodeResponse(stored, limits: SyncLimits()) == decoded)
    }

    /// Seeded mutations of valid frames (flipped, cut, inserted bytes) decode or fail with a
    /// `SyncError`; they never trap.
    @Test(arguments: 0..<4) func mutatedFramesFailCleanly(seed: UInt64) {
        var generator = SeededGenerator(seed: seed)
        let valid = Self.requests.map(SyncCodec.encode) + Self.responses.map(SyncCodec.encode)
        for _ in 0..<2000 {
            var bytes = valid.randomElement(using: &generator)!
            for _ in 0..<Int.random(in: 1...4, using: &generator) where !bytes.isEmpty {
                let at = Int.random(in: 0..<bytes.count, using: &generator)
                switch Int.random(in: 0..<3, using: &generator) {
                case 0: bytes[at] = UInt8.random(in: 0...255, using: &generator)
                case 1: bytes.removeSubrange(at...)
                default: bytes.insert(UInt8.random(in: 0...255, using: &generator), at: at)
                }
            }
            _ = try? SyncCodec.decodeRequest(bytes, limits: SyncLimits())
            _ = try? SyncCodec.decodeResponse(bytes, limits: SyncLimits())
        }
    }

    /// A batch that declares more than the limit is refused before anything is allocated,
    /// as is one over the event count limit or not zstd at all.
    @Test func batchBoundsAreEnforced() throws {
        let batch = EventBatch.encode(Self.events)
        var small = SyncLimits()
        small.maxBatchBytes = 1000
        #expect(throws: SyncError.self) { try EventBatch.decode(batch, limits: small) }
        var few = SyncLimits()
        few.maxEventsPerBatch = 39
        #expect(throws: SyncError.self) { try EventBatch.decode(batch, limits: few) }
        #expect(throws: SyncError.self) { try EventBatch.decode([1, 2, 3, 4, 5, 6, 7, 8], limits: SyncLimits()) }
        #expect(try EventBatch.decode(batch, limits: SyncLimits()) == Self.events)
    }
}
