import AgoraCore
import AgoraTestSupport
import Testing
@testable import AgoraStore

/// `AppendedParts` hands a fold run only the parts whose events are the run's, at the offset
/// their local seqs give, and holds a bounded number of events.
@Suite struct AppendedPartsMatchTests {
    static func events(seed: UInt8, count: Int) -> [Event] {
        var feed = FeedBuilder(seed: seed)
        for index in 0..<count { feed.publish("scope\(seed)", "package\(index)", "1.0.0") }
        return feed.events
    }

    /// A part is its events' count, so a taken part tells which batch it was made of.
    static func parts(_ parts: AppendedParts, _ batches: [(events: ArraySlice<Event>, first: UInt64)]) {
        for batch in batches {
            parts.prepare(Array(batch.events), first: batch.first, last: batch.first + UInt64(batch.events.count) - 1) { $0.count }
        }
    }

    @Test func partsAreTakenOnlyWhereTheRunHoldsTheirEvents() {
        let log = Self.events(seed: 1, count: 30)
        let other = Self.events(seed: 2, count: 30)
        let parts = AppendedParts()
        // Local seqs 1...30 hold `log`; one part claims seqs 21...25 with other events.
        Self.parts(parts, [(log[0..<5], 1), (log[5..<12], 6), (log[12..<20], 13), (other[20..<25], 21), (log[25..<30], 26)])
        // The run past seq 3 through 17: the part at 6...12 fits whole (offset 2), the one at 1
        // started before the run, the one at 13 runs past its end.
        let first = parts.take(Array(log[3..<17]), after: 3, through: 17)
        #expect(first.mapValues { $0 as? Int } == [2: 7])
        // Everything starting through 17 is gone; of the rest only the part holding the log's events.
        let second = parts.take(Array(log[17..<30]), after: 17, through: 30)
        #expect(second.mapValues { $0 as? Int } == [8: 5])
        #expect(parts.take(Array(log[17..<30]), after: 17, through: 30).isEmpty)
    }

    /// Past the bound a batch is not prepared (the parts held are the next a fold takes); a
    /// fold taking them makes room again.
    @Test func heldEventsAreBounded() {
        let log = Self.events(seed: 3, count: 3)
        let parts = AppendedParts()
        let batch = AppendedParts.maxEvents / 2 + 1
        func prepare(_ index: Int) {
            parts.prepare(Array(repeating: log[index], count: batch), first: 1 + UInt64(index * batch), last: UInt64((index + 1) * batch)) { $0.count }
        }
        func take(_ index: Int) -> [Int: Int?] {
            parts.take(Array(repeating: log[index], count: batch), after: UInt64(index * batch), through: UInt64((index + 1) * batch)).mapValues { $0 as? Int }
        }
        prepare(0)
        prepare(1)
        #expect(take(0) == [0: batch])
        #expect(take(1).isEmpty, "past the bound")
        prepare(2)
        #expect(take(2) == [0: batch], "room once the first was taken")
    }

    /// Parts of events the views took in otherwise are dropped, made or still being made.
    @Test func droppedPartsAreNotTaken() {
        let log = Self.events(seed: 4, count: 20)
        let parts = AppendedParts()
        Self.parts(parts, [(log[0..<5], 1), (log[5..<10], 6)])
        #expect(parts.drop(through: 5).allSatisfy { $0.last <= 5 }, "only parts the views hold are handed back")
        Self.parts(parts, [(log[10..<15], 11)])
        #expect(parts.take(Array(log[0..<15]), after: 0, through: 15).mapValues { $0 as? Int } == [5: 5, 10: 5])
        Self.parts(parts, [(log[15..<20], 16)])
        #expect(parts.drop(through: 20).allSatisfy { $0.last <= 20 })
        #expect(parts.take(Array(log[15..<20]), after: 15, through: 20).isEmpty)
    }
}
