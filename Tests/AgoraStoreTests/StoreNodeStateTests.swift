import AgoraCore
import AgoraTestSupport
import Testing
@testable import AgoraStore

@Suite struct StoreNodeStateTests {
    /// A sync position is written in the transaction of the events it covers.
    @Test func positionsCommitWithTheirEvents() throws {
        let folder = try TemporaryDirectory()
        let store = try openStore(folder)
        var feed = FeedBuilder(seed: 3)
        let events = (0..<5).map { feed.publish("acme", "p\($0)", "1.0.0") }
        let peer: [UInt8] = [0, 36, 8, 1]
        #expect(try store.syncPosition(of: peer) == 0)
        _ = try store.append(Array(events.prefix(3)), verification: .chain, recording: [SyncPosition(peer: peer, localSeq: 3)!])
        #expect(try store.syncPosition(of: peer) == 3)
        #expect(try store.syncPositions() == [SyncPosition(peer: peer, localSeq: 3)!])
        #expect(SyncPosition(peer: [], localSeq: 1) == nil)
        #expect(SyncPosition(peer: [UInt8](repeating: 1, count: Store.maxPeerKeyLength + 1), localSeq: 1) == nil)
    }

    @Test func knownPeersRoundTripAndBadEntriesAreSkipped() throws {
        let folder = try TemporaryDirectory()
        let store = try openStore(folder)
        let peer = KnownPeer(peer: [1, 2, 3], addresses: [[4, 5], [], [UInt8](repeating: 6, count: KnownPeer.maxAddressLength + 1), [7]])!
        #expect(peer.addresses == [[4, 5], [7]])
        try store.remember(peer)
        try store.environment.write { txn in try txn.put(store.databases.meta, key: Array("peer/bad".utf8), value: [0, 9, 1]) }
        #expect(try store.knownPeers() == [peer])
    }

    @Test func theKnownPeerTableIsBounded() throws {
        let folder = try TemporaryDirectory()
        let store = try openStore(folder)
        for index in 0..<Store.maxKnownPeers {
            #expect(try store.remember(KnownPeer(peer: [1] + BigEndian.bytes(UInt64(index)), addresses: [[1]])!))
        }
        #expect(try !store.remember(KnownPeer(peer: [2], addresses: [[1]])!), "a newcomer beyond the bound is not stored")
        #expect(try store.remember(KnownPeer(peer: [1] + BigEndian.bytes(UInt64(0)), addresses: [[9]])!), "a known peer is updated")
        #expect(try store.knownPeers().count == Store.maxKnownPeers)
    }

    /// `changes` covers `(after, upTo]` and says how far it got when its bounds cut it short.
    @Test func changesReportWhatTheyCover() throws {
        let folder = try TemporaryDirectory()
        let store = try openStore(folder)
        var feed = FeedBuilder(seed: 4)
        let events = (0..<20).map { feed.publish("acme", "p\($0)", "1.0.0") }
        _ = try store.append(events, verification: .chain)
        let all = try store.changes(after: 0, upTo: .max, maxEvents: 100, maxBytes: 1 << 20)
        #expect(all.events == events && all.through == 20 && all.latest == 20)
        let capped = try store.changes(after: 5, upTo: 15, maxEvents: 4, maxBytes: 1 << 20)
        #expect(capped.events == Array(events[5..<9]) && capped.through == 9)
        let small = try store.changes(after: 0, upTo: .max, maxEvents: 100, maxBytes: 1)
        #expect(small.events == [events[0]] && small.through == 1, "at least one event, whatever the byte bound")
        let beyond = try store.changes(after: 30, upTo: .max, maxEvents: 100, maxBytes: 1 << 20)
        #expect(beyond.events.isEmpty && beyond.through == 30 && beyond.latest == 20)
        let heads = try store.headEvents(after: nil, maxCount: 10, maxBytes: 1 << 20)
        #expect(heads.events == [events[19]] && !heads.more)
        #expect(try store.headEvents(after: feed.key, maxCount: 10, maxBytes: 1 << 20).events.isEmpty)
    }

    /// `changes` leaving out ranges (a requester's own appends): over seeded windows, limits and
    /// skip lists, it returns exactly the entries of `(after, through]` that are not skipped,
    /// in order, stops only at a bound, and never covers an entry it neither sent nor skipped.
    @Test func changesSkipTheGivenRanges() throws {
        let folder = try TemporaryDirectory()
        let store = try openStore(folder)
        var feed = FeedBuilder(seed: 5)
        let events = (0..<120).map { feed.publish("acme", "p\($0)", "1.0.0") }
        _ = try store.append(events, verification: .chain)
        var random = SeededGenerator(seed: 8)
        for _ in 0..<400 {
            var skips: [ClosedRange<UInt64>] = []
            var next = UInt64.random(in: 0...10, using: &random)
            while next < 130, skips.count < 8 {
                let start = next + UInt64.random(in: 1...15, using: &random)
                let end = start + UInt64.random(in: 0...20, using: &random)
                skips.append(start...end)
                next = end + 1
            }
            skips.shuffle(using: &random)
            let after = UInt64.random(in: 0...125, using: &random)
            let upTo = Bool.random(using: &random) ? UInt64.max : after + UInt64.random(in: 0...60, using: &random)
            let maxEvents = Int.random(in: 1...40, using: &random)
            let maxBytes = Bool.random(using: &random) ? 1 << 20 : Int.random(in: 1...4000, using: &random)
            let reply = try store.changes(after: after, upTo: upTo, maxEvents: maxEvents, maxBytes: maxBytes) { skips }
            let skipped = { (seq: UInt64) in skips.contains { $0.contains(seq) } }
            let reachable = min(upTo, 120)
            #expect(reply.latest == 120)
            #expect(reply.through >= after && reply.through <= max(after, reachable))
            let covered = after < reply.through ? Array((after + 1)...reply.through) : []
            let expected = covered.filter { !skipped($0) }.map { events[Int($0) - 1] }
            #expect(reply.events == expected, "after \(after), up to \(upTo), skipping \(skips)")
            if reply.through < reachable {
                #expect(!reply.events.isEmpty, "cut short only by a bound")
                #expect(!skipped(reply.through + 1), "the next entry is one it would send")
            }
        }
    }

    /// `changes` leaving out what the requester holds (feed → seq): over seeded windows, limits
    /// and claims, the events sent are exactly the unclaimed ones of `(after, through]`, the held
    /// spans cover exactly the claimed ones with the ID stored at their last seq, and one reply
    /// visits at most `4 × maxEvents` held entries.
    @Test func changesListHeldFeedsInsteadOfSendingThem() throws {
        let folder = try TemporaryDirectory()
        let store = try openStore(folder)
        var builders = (0..<4).map { FeedBuilder(seed: UInt8(20 + $0)) }
        var random = SeededGenerator(seed: 9)
        var events: [Event] = []
        for index in 0..<200 {
            let feed = Int.random(in: 0..<4, using: &random)
            events.append(builders[feed].publish("s\(feed)", "p\(index)", "1.0.0"))
        }
        _ = try store.append(events, verification: .chain)
        let keys = builders.map(\.key)
        for _ in 0..<300 {
            var held: [PublicKey: UInt64] = [:]
            for key in keys where Bool.random(using: &random) { held[key] = UInt64.random(in: 0...70, using: &random) }
            let after = UInt64.random(in: 0...190, using: &random)
            let upTo = Bool.random(using: &random) ? UInt64.max : after + UInt64.random(in: 0...80, using: &random)
            let maxEvents = Int.random(in: 1...30, using: &random)
            let reply = try store.changes(after: after, upTo: upTo, maxEvents: maxEvents, maxBytes: 1 << 20, held: held)
            let undecoded = try store.changes(after: after, upTo: upTo, maxEvents: maxEvents, maxBytes: 1 << 20, held: held, decoding: false)
            #expect(undecoded.stored == reply.events.map(\.bytes) && undecoded.events.isEmpty && undecoded.through == reply.through)
            let isHeld = { (event: Event) in event.seq <= held[event.author] ?? 0 }
            #expect(reply.through >= after && reply.through <= max(after, min(upTo, 200)))
            let covered = after < reply.through ? events[Int(after)..<Int(reply.through)] : []
            #expect(reply.events == covered.filter { !isHeld($0) }, "after \(after), up to \(upTo), holding \(held)")
            let heldEvents = covered.filter(isHeld)
            #expect(heldEvents.count <= 4 * maxEvents)
            var expected: [PublicKey: (first: UInt64, last: UInt64, id: EventID)] = [:]
            for event in heldEvents { expected[event.author] = (expected[event.author]?.first ?? event.seq, event.seq, event.id) }
            #expect(reply.held.map(\.author) == expected.keys.sorted())
            for span in reply.held {
                let want = expected[span.author]
                #expect(want?.first == span.first && want?.last == span.last && want?.id == span.lastID)
            }
            if reply.through < min(upTo, 200) {
                #expect(reply.events.count == maxEvents || heldEvents.count == 4 * maxEvents, "cut short only by a bound")
            }
        }
    }
}
