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

    @Test func heldEventsAreBounded() {
        let log = Self.events(seed: 3, count: 8)
        let parts = AppendedParts()
        let batch = AppendedParts.maxEvents / 2 + 1
        // Three batches that each hold more than half the bound: each new one drops the one
        // before, once made (a take of nothing waits for it).
        for index in UInt64(0)..<3 {
            parts.prepare(Array(repeating: log[Int(index)], count: batch), first: 1 + index * UInt64(batch), last: (index + 1) * UInt64(batch)) { $0.count }
            #expect(parts.take([], after: 0, through: 0).isEmpty)
        }
        let taken = parts.take(Array(repeating: log[2], count: batch), after: 2 * UInt64(batch), through: 3 * UInt64(batch))
        #expect(taken.mapValues { $0 as? Int } == [0: batch])
        let none = parts.take(Array(repeating: log[0], count: batch), after: 0, through: UInt64(batch))
        #expect(none.isEmpty)
    }
}
