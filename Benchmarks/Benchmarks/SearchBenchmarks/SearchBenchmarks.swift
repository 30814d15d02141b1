import AgoraRegistry
import AgoraStore
import AgoraTestSupport
import AgoraViews
import Benchmark
import BenchmarkSupport
import Foundation

/// What one benchmark process holds between setup, iterations and teardown.
final class SearchRun {
    var registry: Registry?
    var folder: URL?
    var queries: [SearchQueries.Query] = []
    var next = 0
}

/// Search latency over 100,000 packages through `Registry.search`, the path `agora search`
/// takes: one query per iteration, cycling through a fixed list, so the wall-clock
/// percentiles are per-query latencies; allocations per query measure the work apart from the
/// machine's load (this VM has no hardware counters for instructions). Setup also prints how
/// often the right package came first.
let benchmarks: @Sendable () -> Void = {
    let filters = SearchFilters()
    let configuration = Benchmark.Configuration(
        metrics: [.wallClock, .throughput, .mallocCountTotal], warmupIterations: 100, maxDuration: .seconds(10), maxIterations: 20_000)

    func searchBenchmark(_ name: String, queries: @escaping (PackageCorpus) -> [SearchQueries.Query], removesStore: Bool) {
        let run = SearchRun()
        Benchmark(name, configuration: configuration) { benchmark in
            guard let registry = run.registry else { throw BenchmarkSetupError("no store") }
            for _ in benchmark.scaledIterations {
                let query = run.queries[run.next % run.queries.count]
                run.next += 1
                blackHole(try registry.search(query.text, filters: filters))
            }
        } setup: {
            let corpus = try PackageCorpus.load()
            let registry = try SearchStoreCache.open(corpus)
            run.registry = registry
            run.folder = SearchStoreCache.folder(for: corpus)
            run.queries = queries(corpus)
            var first = 0
            var listed = 0
            var empty = 0
            for query in run.queries {
                let hits = try registry.search(query.text, filters: filters)
                if hits.isEmpty { empty += 1 }
                if hits.first?.summary.package.name == query.expected { first += 1 }
                if hits.contains(where: { $0.summary.package.name == query.expected }) { listed += 1 }
            }
            let total = Double(run.queries.count)
            report(String(
                format: "%@ over %d packages (%@): %d queries; source package first %.1f%%, in the top %d %.1f%%, no results %.1f%%",
                name, corpus.records.count, corpus.source, run.queries.count,
                100 * Double(first) / total, filters.limit, 100 * Double(listed) / total, 100 * Double(empty) / total))
        } teardown: {
            run.registry = nil
            if removesStore { ScratchFolder.remove(run.folder) }
        }
    }

    searchBenchmark("Search exact name", queries: SearchQueries.exact, removesStore: false)
    searchBenchmark("Search one typo", queries: SearchQueries.oneTypo, removesStore: false)
    // The tool runs benchmarks sorted by name, so this one is last and clears the shared store.
    searchBenchmark("Search two words", queries: SearchQueries.twoWords, removesStore: true)
}
