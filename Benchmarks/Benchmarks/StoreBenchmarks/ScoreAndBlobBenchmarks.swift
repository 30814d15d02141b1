import AgoraCore
import AgoraStore
import Benchmark
import BenchmarkSupport
import Foundation

let megabytesPerSecond = BenchmarkMetric.custom("MB/s", polarity: .prefersLarger, useScalingFactor: false)

/// Retrieval observations about 64 peers from `feeds` authors, appended 1,000 per transaction
/// with the views: the cost of keeping each peer's event set and score (issue 6, item 11).
func retrievalAppendBenchmark(_ name: String, iterations: Int) {
    let run = StoreRun()
    let configuration = Benchmark.Configuration(
        metrics: [.wallClock, .throughput], warmupIterations: 1, scalingFactor: .kilo, maxDuration: .seconds(10), maxIterations: iterations)
    Benchmark(name, configuration: configuration) { _ in
        guard let store = run.store, run.next < run.batches.count else { throw BenchmarkSetupError("ran out of pre-signed events") }
        let outcomes = try store.append(run.batches[run.next], verification: .none)
        run.next += 1
        run.appended += outcomes.count { if case .appended = $0 { true } else { false } }
    } setup: {
        let total = 1_000 * (iterations + 1)
        var rng = SeededGenerator(seed: 41)
        let identities = (0..<feeds).map { try! Identity(seed: [UInt8](repeating: UInt8(150 + $0), count: 32)) }
        var heads = [(seq: UInt64, id: EventID?)](repeating: (0, nil), count: feeds)
        var events: [Event] = []
        events.reserveCapacity(total)
        for index in 0..<total {
            let feed = index % feeds
            let body = EventBody.retrievalObserved(RetrievalObserved(
                peer: [0x00, 0x24, UInt8(index % 64)], digest: [UInt8](repeating: UInt8(index & 0xff), count: 32),
                outcome: RetrievalObserved.Outcome(rawValue: UInt64.random(in: 0...4, using: &rng))!,
                bytes: UInt64.random(in: 0...1 << 20, using: &rng), latencyMicros: UInt64.random(in: 0...100_000, using: &rng)))
            let event = try! Event.sign(by: identities[feed], seq: heads[feed].seq + 1, prev: heads[feed].id, timestamp: 1, body: body)
            heads[feed] = (event.seq, event.id)
            events.append(event)
        }
        run.batches = stride(from: 0, to: total, by: 1_000).map { Array(events[$0..<$0 + 1_000]) }
        _ = try openStore(run, views: true)
    } teardown: {
        defer { closeStore(run) }
        guard run.appended == run.next * 1_000 else { throw BenchmarkSetupError("appended \(run.appended) of \(run.next * 1_000) events") }
    }
}

/// `verify --deep` over a store holding 16 archives of 4 MiB (half compressible text, half
/// random bytes) and their releases: the blob re-hash that deep verification added.
func deepBlobVerifyBenchmark(_ name: String, iterations: Int) {
    let run = StoreRun()
    let blobCount = 16
    let blobSize = 4 << 20
    let configuration = Benchmark.Configuration(
        metrics: [.wallClock, megabytesPerSecond], warmupIterations: 1, maxDuration: .seconds(10), maxIterations: iterations)
    Benchmark(name, configuration: configuration) { benchmark in
        guard let store = run.store else { throw BenchmarkSetupError("no store") }
        let clock = ContinuousClock()
        let start = clock.now
        let report = try store.verify(deep: true)
        let elapsed = clock.now - start
        guard report.ok, report.events == blobCount else { throw BenchmarkSetupError("deep verify: \(String(describing: report.firstProblem))") }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        benchmark.measurement(megabytesPerSecond, Int(Double(blobCount * blobSize) / seconds / 1e6))
    } setup: {
        let store = try openStore(run, views: true)
        var rng = SeededGenerator(seed: 43)
        let identity = try Identity(seed: [UInt8](repeating: 180, count: 32))
        var prev: EventID?
        for index in 0..<blobCount {
            let bytes: [UInt8] = index % 2 == 0
                ? Array(String(repeating: "let package = Package(name: \"bench\") // \(index)\n", count: blobSize / 40 + 1).utf8.prefix(blobSize))
                : (0..<blobSize).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let prepared = try store.prepareBlob(bytes)
            let body = EventBody.releasePublished(ReleasePublished(
                scope: "bench", name: "blob\(index)", version: "1.0.0",
                manifest: Manifest(scope: "bench", name: "blob\(index)", version: "1.0.0").canonicalJSON(),
                archiveDigest: prepared.digest.bytes, archiveSize: UInt64(blobSize)))
            let event = try Event.sign(by: identity, seq: UInt64(index + 1), prev: prev, timestamp: 1, body: body)
            prev = event.id
            _ = try store.append([event], verification: .none, storing: [prepared])
        }
    } teardown: {
        closeStore(run)
    }
}
