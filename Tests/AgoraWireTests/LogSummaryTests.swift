import AgoraTestSupport
import Testing
@testable import AgoraWire

@Suite struct LogSummaryTests {
    let start = ContinuousClock.now

    @Test func oneReportPerIntervalWithCountsByReason() {
        var summary = LogSummary(interval: .seconds(10))
        #expect(summary.record("handshake limit", now: start) == nil)
        for second in 1..<10 {
            #expect(summary.record(second % 3 == 0 ? "per-address limit" : "handshake limit", now: start + .seconds(second)) == nil)
        }
        #expect(summary.flush(now: start + .seconds(9)) == nil, "the interval has not ended")
        let report = summary.record("handshake failed", now: start + .seconds(10))
        #expect(report?.counts.map(\.reason) == ["handshake limit", "per-address limit"])
        #expect(report?.counts.map(\.count) == [7, 3])
        #expect(report?.description == "10 connections refused or dropped in the last 10.0 seconds: 7 handshake limit, 3 per-address limit")
        #expect(summary.flush(now: start + .seconds(19)) == nil)
        #expect(summary.flush(now: start + .seconds(20))?.counts.map(\.reason) == ["handshake failed"])
        #expect(summary.flush(now: start + .seconds(100)) == nil, "nothing recorded since")
    }

    /// A flood of any size and any mix of reasons yields at most one report per interval,
    /// each naming a bounded number of reasons, and loses no count.
    @Test(arguments: [1, 2, 3]) func floodsProduceBoundedReports(seed: UInt64) {
        var random = SeededGenerator(seed: seed)
        var summary = LogSummary(interval: .seconds(1), maxReasons: 4)
        var now = start
        var reports: [LogSummary.Report] = []
        let events = 100_000
        for _ in 0..<events {
            now += .microseconds(Int64(random.next(below: 100)))
            if let report = summary.record("reason \(random.next(below: 50))", now: now) { reports.append(report) }
        }
        if let last = summary.flush(now: now + .seconds(1)) { reports.append(last) }
        let elapsed = now - start
        #expect(Double(reports.count) <= elapsed / .seconds(1) + 2)
        #expect(reports.allSatisfy { $0.counts.count <= 4 })
        #expect(reports.reduce(0) { $0 + $1.total } == events)
    }
}
