import AgoraRegistry
import AgoraStore
import AgoraTestSupport
import AgoraViews
import BenchmarkSupport
import Foundation

/// Fills `$AGORA_HOME` (created with `agora init` semantics if missing) with the 100,000
/// package corpus as signed release events and retrieval summaries from its download ranks, so
/// `agora search` can be timed as a whole process.
@main
enum LoadPyPI {
    static func main() throws {
        let home = AgoraHome.fromEnvironment()
        let corpus = try PackageCorpus.load()
        let clock = ContinuousClock()
        let start = clock.now
        let events = ReleaseEvents.sign(corpus.records, feeds: 5, keySeed: 40, scope: PyPIMetadata.scope)
        _ = try Registry.initialize(home: home)
        let registry = try Registry(home: home)
        try ReleaseEvents.append(events, to: registry.store, batchSize: 5_000, verification: .chain)
        try ReleaseEvents.appendPopularity(for: corpus.records, to: registry.store)
        print("loaded \(events.count) packages (with retrieval summaries from their download ranks) from \(corpus.source) into \(home.url.path) in \(clock.now - start)")
    }
}
