import AgoraCore
import AgoraMigrations
import AgoraStore
import AgoraViews
import BenchmarkSupport
import Foundation

/// Where search spends its work over the 100k corpus with popularity, measured so a loaded
/// machine still gives usable figures: per query the thread's CPU time (the least of several
/// rounds, so time other processes take is left out), and what the engine asked of the index
/// (names, prefix and typo entries, postings, popularity and summary reads). Prints the
/// distribution per query kind (the `SearchBenchmarks` sets and the evaluation set) and the
/// slowest queries with their reads; `--dump FILE` writes every result list, to compare two
/// builds for identical ranking.
///
///     swift build -c release --product SearchProfile
///     AGORA_PYPI_TSV=/work/shared/data/pypi-100k.tsv .build/release/SearchProfile \
///       [--store DIR] [--rounds 5] [--slowest 8] [--rank cpu|wall] [--set KIND] [--dump FILE]
/// `--set KIND` measures one kind only (exact, one-typo, two-words, eval-misspelling, eval-task);
/// `--query TEXT` one query (with many `--rounds`, for `perf record`). `--rank wall` lists the
/// slowest by each query's median wall-clock time over the rounds (what a latency percentile
/// over repeated queries is made of) instead of by least CPU time.
/// `--store DIR` keeps the loaded store there and reuses it on the next run (the index
/// layout must not have changed in between).
@main
enum SearchProfile {
    static func main() throws {
        let arguments = CommandLine.arguments
        func option(_ name: String) -> String? {
            arguments.firstIndex(of: name).flatMap { $0 + 1 < arguments.count ? arguments[$0 + 1] : nil }
        }
        let rounds = max(1, option("--rounds").flatMap(Int.init) ?? 5)
        let slowest = max(0, option("--slowest").flatMap(Int.init) ?? 8)
        let byWall = option("--rank") == "wall"

        let corpus = try PackageCorpus.load()
        let (store, folder) = try openStore(corpus, at: option("--store"))
        defer { if option("--store") == nil { ScratchFolder.remove(folder) } }

        var sets: [(kind: String, queries: [String])] = [
            ("exact", SearchQueries.exact(corpus).map(\.text)),
            ("one-typo", SearchQueries.oneTypo(corpus).map(\.text)),
            ("two-words", SearchQueries.twoWords(corpus).map(\.text)),
        ]
        for (kind, queries) in try evalQueries() { sets.append((kind, queries)) }

        if let only = option("--set") { sets = sets.filter { $0.kind == only } }
        if let query = option("--query") { sets = [("query", [query])] }
        var dump = ""
        for set in sets {
            let profile = try measure(set.queries, rounds: rounds, store: store)
            report(set.kind, profile, slowest: slowest, byWall: byWall, store: store)
            if option("--dump") != nil {
                for query in set.queries {
                    let hits = try store.search(query: query)
                    let shown = hits.map { "\($0.summary.name):\($0.tier.rawValue):\(Int(($0.rank * 1000).rounded()))" }
                    dump += "\(set.kind)\t\(query)\t\(shown.joined(separator: " "))\n"
                }
            }
        }
        if let path = option("--dump") { try dump.write(toFile: path, atomically: true, encoding: .utf8) }
    }

    /// The evaluation set's queries by kind (`Eval/search-eval.tsv`), task kinds together.
    static func evalQueries() throws -> [(String, [String])] {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Eval/search-eval.tsv")
        var misspellings: [String] = []
        var tasks: [String] = []
        for line in try String(contentsOf: file, encoding: .utf8).split(separator: "\n") where !line.hasPrefix("#") {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard fields.count == 3 else { continue }
            if fields[0] == "misspelling" { misspellings.append(String(fields[1])) } else { tasks.append(String(fields[1])) }
        }
        return [("eval-misspelling", misspellings), ("eval-task", tasks)]
    }

    static func openStore(_ corpus: PackageCorpus, at path: String?) throws -> (Store, URL) {
        let folder = try path.map { URL(fileURLWithPath: $0, isDirectory: true) } ?? ScratchFolder.create("agora-search-profile")
        let marker = folder.appendingPathComponent("complete")
        let complete = FileManager.default.fileExists(atPath: marker.path)
        if !complete {
            ScratchFolder.remove(folder)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        }
        let store = try Store(directory: folder, migrations: AgoraMigrations.all, views: RegistryViews())
        if !complete {
            let releases = ReleaseEvents.sign(corpus.records, feeds: 5, keySeed: 40, scope: PyPIMetadata.scope)
            try ReleaseEvents.append(releases, to: store, batchSize: 5_000, verification: .chain)
            try ReleaseEvents.appendPopularity(for: corpus.records, to: store)
            try Data().write(to: marker)
        }
        print("corpus: \(corpus.records.count) packages from \(corpus.source); store \(folder.path)")
        return (store, folder)
    }

    struct Profile {
        /// Per query: the least thread CPU time over the rounds, in µs.
        var cpu: [Double]
        /// Every round's wall-clock time, in µs.
        var wall: [Double]
        /// Per query: the median wall-clock time over the rounds, in µs.
        var medianWall: [Double]
        var queries: [String]
    }

    static func measure(_ queries: [String], rounds: Int, store: Store) throws -> Profile {
        for query in queries { _ = try store.search(query: query) }
        var cpu = [Double](repeating: .infinity, count: queries.count)
        var wall: [Double] = []
        var perQuery = [[Double]](repeating: [], count: queries.count)
        for _ in 0..<rounds {
            for (position, query) in queries.enumerated() {
                let (wallStart, cpuStart) = (now(CLOCK_MONOTONIC), now(CLOCK_THREAD_CPUTIME_ID))
                _ = try store.search(query: query)
                let (cpuEnd, wallEnd) = (now(CLOCK_THREAD_CPUTIME_ID), now(CLOCK_MONOTONIC))
                cpu[position] = min(cpu[position], cpuEnd - cpuStart)
                wall.append(wallEnd - wallStart)
                perQuery[position].append(wallEnd - wallStart)
            }
        }
        let medianWall = perQuery.map { $0.sorted()[$0.count / 2] }
        return Profile(cpu: cpu, wall: wall, medianWall: medianWall, queries: queries)
    }

    static func now(_ clock: clockid_t) -> Double {
        var time = timespec()
        clock_gettime(clock, &time)
        return Double(time.tv_sec) * 1e6 + Double(time.tv_nsec) / 1e3
    }

    static func percentile(_ sorted: [Double], _ p: Double) -> Double {
        sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)]
    }

    static func report(_ kind: String, _ profile: Profile, slowest: Int, byWall: Bool, store: Store) {
        let cpu = profile.cpu.sorted()
        let wall = profile.wall.sorted()
        let medianWall = profile.medianWall.sorted()
        print(String(
            format: "%@ (%d queries): CPU per query (least of rounds) p50 %.0f  p90 %.0f  p99 %.0f  max %.0f µs; wall p50 %.0f  p99 %.0f µs; "
                + "median wall per query p50 %.0f  p90 %.0f  p99 %.0f  max %.0f µs",
            kind, profile.queries.count, percentile(cpu, 0.5), percentile(cpu, 0.9), percentile(cpu, 0.99), cpu.last ?? 0,
            percentile(wall, 0.5), percentile(wall, 0.99),
            percentile(medianWall, 0.5), percentile(medianWall, 0.9), percentile(medianWall, 0.99), medianWall.last ?? 0))
        let reads = profile.queries.compactMap { try? IndexReads.count($0, store: store) }
        func spread(_ name: String, _ value: (IndexReads) -> Int) -> String {
            let sorted = reads.map(value).sorted()
            let mean = Double(sorted.reduce(0, +)) / Double(max(sorted.count, 1))
            return String(format: "%@ mean %.0f p99 %d max %d", name, mean, sorted[min(sorted.count - 1, sorted.count * 99 / 100)], sorted.last ?? 0)
        }
        print("  reads per query: " + [
            spread("index reads", \.total), spread("popularity", \.popularity), spread("posting entries", \.postingEntries),
            spread("typo entries", \.typoEntries),
        ].joined(separator: "; "))
        let ranked = byWall ? profile.medianWall : profile.cpu
        let order = ranked.indices.sorted { ranked[$0] > ranked[$1] }
        for position in order.prefix(slowest) {
            let reads = (try? IndexReads.count(profile.queries[position], store: store))?.description ?? "?"
            print(String(
                format: "  %7.0f µs CPU %7.0f µs wall  %@  %@", profile.cpu[position], profile.medianWall[position],
                "\"\(profile.queries[position])\"", reads))
        }
    }
}

/// What one search asked of the index, counted by wrapping the stored index.
final class IndexReads: CustomStringConvertible {
    var names = 0
    var prefixEntries = 0
    var typoScans = 0
    var typoEntries = 0
    var postingLists = 0
    var postingEntries = 0
    var summaries = 0
    var scopeNames = 0
    var popularity = 0

    /// Gets, cursor steps and postings lookups together.
    var total: Int { names + prefixEntries + typoEntries + postingLists + summaries + scopeNames + popularity }

    var description: String {
        "names \(names), prefix entries \(prefixEntries), typo scans \(typoScans) entries \(typoEntries), "
            + "postings \(postingLists) (\(postingEntries) entries), popularity \(popularity), summaries \(summaries), scope+name \(scopeNames)"
    }

    static func count(_ query: String, store: Store) throws -> IndexReads {
        let reads = IndexReads()
        _ = try store.withSearchIndex { index in
            try SearchEngine.search(query: query, index: Counting(base: index, reads: reads))
        }
        return reads
    }

    struct Counting<Base: SearchIndex>: SearchIndex {
        let base: Base
        let reads: IndexReads

        func documents(named name: String) throws -> [UInt64] {
            reads.names += 1
            return try base.documents(named: name)
        }

        func forEachNameEntry(prefix: [UInt8], limit: Int, _ body: (UnsafeRawBufferPointer, UInt64) throws -> Void) throws {
            try base.forEachNameEntry(prefix: prefix, limit: limit) { name, docID in
                reads.prefixEntries += 1
                try body(name, docID)
            }
        }

        func forEachTypoEntry(prefix: [UInt8], limit: Int, _ body: (UnsafeRawBufferPointer, UInt64) throws -> Void) throws {
            reads.typoScans += 1
            try base.forEachTypoEntry(prefix: prefix, limit: limit) { key, docID in
                reads.typoEntries += 1
                try body(key, docID)
            }
        }

        func withPostings<R>(forAny tokens: [String], _ body: ([SearchPostings]) throws -> R) throws -> R {
            try base.withPostings(forAny: tokens) { lists in
                reads.postingLists += tokens.count
                reads.postingEntries += lists.reduce(0) { $0 + $1.count }
                return try body(lists)
            }
        }

        func summary(of docID: UInt64) throws -> SearchSummary? {
            reads.summaries += 1
            return try base.summary(of: docID)
        }

        func scopeAndName(of docID: UInt64) throws -> (scope: String, name: String)? {
            reads.scopeNames += 1
            return try base.scopeAndName(of: docID)
        }

        func popularity(of docID: UInt64) throws -> PackagePopularity? {
            reads.popularity += 1
            return try base.popularity(of: docID)
        }

        func popularities(of docIDs: [UInt64]) throws -> [PackagePopularity?] {
            reads.popularity += docIDs.count
            return try base.popularities(of: docIDs)
        }
    }
}
