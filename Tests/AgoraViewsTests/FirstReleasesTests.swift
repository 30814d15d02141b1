import AgoraCore
import AgoraTestSupport
import Testing
@testable import AgoraViews

/// `PreparedBatch` reduces each (scope, author)'s first release per range and merges the ranges;
/// `ViewBatch` adds them event by event. Both must keep, for every pair, the first position of
/// lowest (seq, event ID): the scope folds read only that release.
@Suite struct FirstReleasesTests {
    @Test(arguments: [UInt64(51), 52, 53, 54])
    func rangesMergedEqualEventByEventAndTheDefinition(seed: UInt64) {
        var rng = SeededGenerator(seed: seed)
        // Several feeds publishing into a few scopes; some events given twice, in any order,
        // so equal (seq, ID) pairs and out-of-order seqs both occur.
        var feeds = (UInt8(0)..<4).map { FeedBuilder(seed: UInt8(seed % 200) + $0) }
        var events: [Event] = []
        for index in 0..<120 {
            let feed = Int.random(in: 0..<feeds.count, using: &rng)
            events.append(feeds[feed].publish("scope\(Int.random(in: 0..<3, using: &rng))", "p\(index)", "1.0.0"))
        }
        for _ in 0..<20 { events.append(events[Int.random(in: 0..<events.count, using: &rng)]) }
        events.shuffle(using: &rng)
        let scopes = events.map { event -> String in
            guard case .releasePublished(let release)? = try? event.decodedBody() else { return "" }
            return release.scope
        }

        var byEvent = FirstReleases()
        for index in events.indices { byEvent.add(index, of: events, scope: scopes[index]) }

        var cuts = Set((0..<5).map { _ in Int.random(in: 0...events.count, using: &rng) })
        cuts.formUnion([0, events.count])
        let bounds = cuts.sorted()
        var merged = FirstReleases()
        for (start, end) in zip(bounds, bounds.dropFirst()) {
            var part = FirstReleases()
            for index in start..<end { part.add(index, of: events, scope: scopes[index]) }
            merged.merge(part.shifted(by: -start), offset: start, of: events)
        }

        var expected: [FirstReleases.ScopeAuthor: Int] = [:]
        for index in events.indices {
            let key = FirstReleases.ScopeAuthor(scope: scopes[index], author: events[index].author)
            guard let kept = expected[key] else {
                expected[key] = index
                continue
            }
            let order = (events[index].seq, events[index].id.hex)
            if order < (events[kept].seq, events[kept].id.hex) { expected[key] = index }
        }
        #expect(byEvent.positions == expected)
        #expect(merged.positions == expected)
    }
}
