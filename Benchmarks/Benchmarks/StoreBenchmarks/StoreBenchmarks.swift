import AgoraCore
import AgoraMigrations
import AgoraStore
import AgoraTestSupport
import AgoraViews
import Benchmark
import BenchmarkSupport
import Foundation

/// What one benchmark process holds between setup, iterations and teardown.
final class StoreRun {
    var folder: URL?
    var store: Store?
    var batches: [[Event]] = []
    var records: [[PyPIRecord]] = []
    var next = 0
    var appended = 0
}

let feeds = 10
let eventsPerSecond = BenchmarkMetric.custom("events/s", polarity: .prefersLarger, useScalingFactor: false)

func openStore(_ run: StoreRun, views: Bool) throws -> Store {
    let folder = try ScratchFolder.create("agora-bench-store")
    run.folder = folder
    let store = try Store(directory: folder, migrations: AgoraMigrations.all, views: views ? RegistryViews() : nil)
    run.store = store
    return store
}

func closeStore(_ run: StoreRun) {
    run.store = nil
    ScratchFolder.remove(run.folder)
    run.folder = nil
}

/// Each iteration appends one pre-signed batch (a new release per event, `feeds` authors
/// interleaved) into a store that grows as the benchmark runs; with `.kilo` scaling the
/// wall clock and throughput read per event.
func appendBenchmark(_ name: String, batchSize: Int, iterations: Int, verification: Verification, views: Bool) {
    let run = StoreRun()
    let configuration = Benchmark.Configuration(
        metrics: [.wallClock, .throughput], warmupIterations: 1,
        scalingFactor: batchSize == 1_000 ? .kilo : .one, maxDuration: .seconds(10), maxIterations: iterations)
    precondition(batchSize == 1 || batchSize == 1_000, "scaling factors exist for 1 and 1,000")
    Benchmark(name, configuration: configuration) { _ in
        guard let store = run.store, run.next < run.batches.count else { throw BenchmarkSetupError("ran out of pre-signed events") }
        let outcomes = try store.append(run.batches[run.next], verification: verification)
        run.next += 1
        run.appended += outcomes.count { if case .appended = $0 { true } else { false } }
    } setup: {
        let total = batchSize * (iterations + 1)
        let events = ReleaseEvents.sign(PackageCorpus.generated(count: total, seed: 7), feeds: feeds, keySeed: 1, scope: nil)
        run.batches = stride(from: 0, to: total, by: batchSize).map { Array(events[$0..<$0 + batchSize]) }
        _ = try openStore(run, views: views)
    } teardown: {
        defer { closeStore(run) }
        guard run.appended == run.next * batchSize else {
            throw BenchmarkSetupError("appended \(run.appended) of \(run.next * batchSize) events")
        }
    }
}

/// Like the batched append, but each iteration also signs its 1,000 events.
func signAndAppendBenchmark(_ name: String, iterations: Int) {
    let run = StoreRun()
    let configuration = Benchmark.Configuration(
        metrics: [.wallClock, .throughput], warmupIterations: 1, scalingFactor: .kilo, maxDuration: .seconds(10), maxIterations: iterations)
    let identities = (0..<feeds).map { try! Identity(seed: [UInt8](repeating: UInt8(100 + $0), count: 32)) }
    var heads = [(seq: UInt64, id: EventID?)](repeating: (0, nil), count: feeds)
    Benchmark(name, configuration: configuration) { _ in
        guard let store = run.store, run.next < run.records.count else { throw BenchmarkSetupError("ran out of records") }
        var batch: [Event] = []
        batch.reserveCapacity(run.records[run.next].count)
        for (index, record) in run.records[run.next].enumerated() {
            let feed = index % feeds
            let event = try! Event.sign(
                by: identities[feed], seq: heads[feed].seq + 1, prev: heads[feed].id, timestamp: 1,
                body: ReleaseEvents.body(for: record, scope: "feed\(feed)"))
            heads[feed] = (event.seq, event.id)
            batch.append(event)
        }
        let outcomes = try store.append(batch, verification: .chain)
        run.next += 1
        run.appended += outcomes.count { if case .appended = $0 { true } else { false } }
    } setup: {
        let records = PackageCorpus.generated(count: 1_000 * (iterations + 1), seed: 8)
        run.records = stride(from: 0, to: records.count, by: 1_000).map { Array(records[$0..<$0 + 1_000]) }
        _ = try openStore(run, views: true)
    } teardown: {
        defer { closeStore(run) }
        guard run.appended == run.next * 1_000 else {
            throw BenchmarkSetupError("appended \(run.appended) of \(run.next * 1_000) events")
        }
    }
}

/// A store holding `count` release events from `feeds` authors, for whole-log operations.
/// Each iteration runs `body` over the whole log and records the events per second it reached.
func wholeLogBenchmark(_ name: String, count: Int, iterations: Int, _ body: @escaping (Store) throws -> Int) {
    let run = StoreRun()
    let configuration = Benchmark.Configuration(
        metrics: [.wallClock, eventsPerSecond], warmupIterations: 0, maxDuration: .seconds(10), maxIterations: iterations)
    Benchmark(name, configuration: configuration) { benchmark in
        guard let store = run.store else { throw BenchmarkSetupError("no store") }
        let clock = ContinuousClock()
        let start = clock.now
        let events = try body(store)
        let elapsed = clock.now - start
        guard events == count else { throw BenchmarkSetupError("\(name) saw \(events) of \(count) events") }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        benchmark.measurement(eventsPerSecond, Int(Double(events) / seconds))
    } setup: {
        let events = ReleaseEvents.sign(PackageCorpus.generated(count: count, seed: 9), feeds: feeds, keySeed: 60, scope: nil)
        let store = try openStore(run, views: true)
        try ReleaseEvents.append(events, to: store, batchSize: 5_000, verification: .none)
    } teardown: {
        closeStore(run)
    }
}

let benchmarks: @Sendable () -> Void = {
    appendBenchmark("Store append 1000/txn verify none", batchSize: 1_000, iterations: 100, verification: .none, views: true)
    appendBenchmark("Store append 1000/txn verify chain", batchSize: 1_000, iterations: 100, verification: .chain, views: true)
    appendBenchmark("Store append 1000/txn verify chain, log only", batchSize: 1_000, iterations: 100, verification: .chain, views: false)
    appendBenchmark("Store append 1/txn verify chain", batchSize: 1, iterations: 3_000, verification: .chain, views: true)
    signAndAppendBenchmark("Store sign+append 1000/txn verify chain", iterations: 50)
    retrievalAppendBenchmark("Store append 1000/txn retrievals (peer scores)", iterations: 100)
    deepBlobVerifyBenchmark("Store verify deep 16 archives x 4 MiB", iterations: 10)

    wholeLogBenchmark("Store verify chain 100k", count: 100_000, iterations: 20) { store in
        let report = try store.verify(deep: false)
        guard report.ok else { throw BenchmarkSetupError("verify failed: \(String(describing: report.firstProblem))") }
        return report.events
    }
    wholeLogBenchmark("Store verify deep 100k", count: 100_000, iterations: 3) { store in
        let report = try store.verify(deep: true)
        guard report.ok else { throw BenchmarkSetupError("verify failed: \(String(describing: report.firstProblem))") }
        return report.events
    }
    wholeLogBenchmark("Store rebuild views 100k", count: 100_000, iterations: 5) { store in
        try store.rebuildViews()
        return Int(try store.lastLocalSeq())
    }
}
