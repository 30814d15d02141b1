import AgoraCore
import AgoraMigrations
import AgoraStore
import AgoraTestSupport
import Testing
@testable import AgoraViews

/// The views hand pure per-package and per-event work to every core once a batch is large
/// enough (`ParallelMap.minimumCount`); the result must not depend on it.
@Suite struct ParallelMapTests {
    @Test(arguments: [0, 1, ParallelMap.minimumCount - 1, ParallelMap.minimumCount, ParallelMap.minimumCount + 1, 257, 5_000])
    func keepsInputOrderAndEqualsTheSequentialMap(count: Int) {
        var rng = SeededGenerator(seed: UInt64(count) + 1)
        let input = (0..<count).map { _ in UInt64.random(in: 0...UInt64.max, using: &rng) }
        let transform: @Sendable (UInt64) -> [UInt8] = { value in
            // Uneven work per element, so chunks finish out of order.
            (0..<Int(value % 17)).map { UInt8(truncatingIfNeeded: value >> ($0 % 8 * 8)) }
        }
        #expect(ParallelMap.map(input, transform) == input.map(transform))
    }

    /// One batch of 300+ events (hundreds of dirty packages: the parallel path) leaves the same
    /// views as the same events appended one per transaction (below the threshold: sequential).
    @Test(arguments: [UInt64(4), 5])
    func oneLargeBatchEqualsOneEventPerBatch(seed: UInt64) throws {
        var rng = SeededGenerator(seed: seed)
        let events = RegistryViewsTestSupport.interleave(NewPackageFastPathTests.feeds(seed: seed), using: &rng)
        #expect(events.count >= 300)
        var snapshots: [[String: [UInt8]]] = []
        for batch in [events.count, 1] {
            let directory = try TemporaryDirectory()
            let store = try RegistryViewsTestSupport.openRegistryStore(directory)
            for start in stride(from: 0, to: events.count, by: batch) {
                let outcomes = try store.append(Array(events[start..<min(events.count, start + batch)]), verification: .chain)
                #expect(outcomes.allSatisfy { if case .appended = $0 { true } else { false } })
            }
            snapshots.append(try RegistryViewsTestSupport.snapshot(store))
        }
        #expect(snapshots[0]["docs"]?.isEmpty == false)
        #expect(snapshots[0] == snapshots[1])
    }
}
