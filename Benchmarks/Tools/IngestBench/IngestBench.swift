import AgoraCore
import AgoraMigrations
import AgoraStore
import AgoraViews
import BenchmarkSupport
import Foundation

/// Ingest at scale, outside the benchmark plugin (1M events is too slow for its iterations):
/// `IngestBench <count> [folder] [--pypi] [--page=N] [--batch=N] [--pipelined] [--log-only]` signs `count` releases (10 feeds, one scope each;
/// generated packages, or with `--pypi` the first `count` of the PyPI sample at `AGORA_PYPI_TSV`
/// or `../shared/data/pypi-100k.tsv`, generated when there is none: the first line says which),
/// appends them 1,000 (`--batch=N`) per transaction with chain verification and the registry views (with
/// `--pipelined` each next batch prepared on another thread meanwhile, `Store.prepareAppend`; with
/// `--log-only` no views, and nothing after the load), then
/// rebuilds the views (N events per transaction, `Store.rebuildPageSize` by default), and prints events/s for both (wall clock, and per CPU second of this process, which the
/// machine's other load does not inflate), the store's size after the load and after
/// `Store.compact`, and each database's pages after it. The store is left in `folder` when one
/// is given, else removed.
///
/// `--deferred[=N]` (N = `Store.foldRunLimit` when omitted) measures views folded behind the
/// log instead: each batch is appended with the views deferred, and whenever N events are
/// pending one fold of N runs (as the node's writer does at its lag bound), the rest at the
/// end; it prints the time until the views are current, split into appends and folds, with
/// bytes written per event. `--rebuilds=N` appends with the views deferred and rebuilds them N
/// times, timing only the rebuilds. With `--fold-after` every batch is appended first and the folds of N
/// follow, so the two rates show apart. `--baseline` first appends the same events immediately
/// (today's path) into a second store, for a comparison within one process.
@main
enum IngestBench {
    static func main() throws {
        let flags = CommandLine.arguments.dropFirst().filter { $0.hasPrefix("--") }
        let arguments = CommandLine.arguments.dropFirst().filter { !$0.hasPrefix("--") }
        let count = arguments.first.flatMap { Int($0) } ?? 100_000
        let pageSize = flags.first { $0.hasPrefix("--page=") }.flatMap { Int($0.dropFirst(7)) } ?? Store.rebuildPageSize
        let batchSize = flags.first { $0.hasPrefix("--batch=") }.flatMap { Int($0.dropFirst(8)) } ?? 1_000
        let keep = arguments.count > 1 ? URL(fileURLWithPath: arguments[arguments.startIndex + 1]) : nil
        let deferred = flags.first { $0 == "--deferred" || $0.hasPrefix("--deferred=") }.map { flag in
            flag.hasPrefix("--deferred=") ? Int(flag.dropFirst(11)) ?? Store.foldRunLimit : Store.foldRunLimit
        }
        var records = PackageCorpus.generated(count: flags.contains("--pypi") ? 0 : count, seed: 7)
        var source = "generated (seed 7)"
        if flags.contains("--pypi") {
            let corpus = try PackageCorpus.load(count: count)
            (records, source) = (corpus.records, corpus.source)
        }
        print("corpus: \(records.count) packages, \(source)")
        let folder = try keep ?? ScratchFolder.create("agora-ingest")
        defer { if keep == nil { ScratchFolder.remove(folder) } }
        let clock = ContinuousClock()

        var start = clock.now
        let events = ReleaseEvents.sign(records, feeds: 10, keySeed: 1, scope: nil)
        print("signed \(events.count) events in \(clock.now - start)")

        if let times = flags.first(where: { $0.hasPrefix("--rebuilds=") }).flatMap({ Int($0.dropFirst(11)) }) {
            try rebuilds(events, folder: folder, batchSize: batchSize, pageSize: pageSize, times: times)
            return
        }
        if let foldRun = deferred {
            if flags.contains("--baseline") { try baseline(events, batchSize: batchSize) }
            try foldBehind(events, folder: folder, batchSize: batchSize, foldRun: foldRun, foldAfter: flags.contains("--fold-after"))
            return
        }
        do {
            let logOnly = flags.contains("--log-only")
            let store = try Store(directory: folder, migrations: AgoraMigrations.all, views: logOnly ? nil : RegistryViews())
            start = clock.now
            var cpu = CPUTime.process()
            // This thread runs every write transaction: its CPU bounds throughput when the work
            // the views hand to other cores finds them free.
            var writer = CPUTime.thread()
            let written = bytesWritten()
            let pipelined = flags.contains("--pipelined")
            try ReleaseEvents.append(events, to: store, batchSize: batchSize, verification: .chain, pipelined: pipelined)
            let append = clock.now - start
            print("append \(logOnly ? "log only" : "with views")\(pipelined ? " (pipelined)" : ""), \(batchSize) per transaction: \(rate(events.count, append)) events/s wall (\(append)), \(Int(Double(events.count) / (CPUTime.process() - cpu))) events per CPU second, \(Int(Double(events.count) / (CPUTime.thread() - writer))) per writer-thread CPU second")
            print("pages written by the load: \((bytesWritten() - written) / 1_000_000) MB, \((bytesWritten() - written) / UInt64(events.count)) bytes per event")
            print("data.mdb after the load: \(try fileSize(folder) / 1_000_000) MB, \(try pagesInUse(store) / 1_000_000) MB of pages in use")
            if logOnly { return }

            start = clock.now
            cpu = CPUTime.process()
            writer = CPUTime.thread()
            try store.rebuildViews(pageSize: pageSize)
            let rebuild = clock.now - start
            print("rebuild views:     \(rate(events.count, rebuild)) events/s wall (\(rebuild)), \(Int(Double(events.count) / (CPUTime.process() - cpu))) events per CPU second, \(Int(Double(events.count) / (CPUTime.thread() - writer))) per writer-thread CPU second")
            print("after the rebuild: \(try pagesInUse(store) / 1_000_000) MB of pages in use")
        }
        let report = try Store.compact(directory: folder)
        print("data.mdb: \(report.bytesBefore / 1_000_000) MB after the rebuild, \(report.bytesAfter / 1_000_000) MB compacted")
        let store = try Store(directory: folder, migrations: AgoraMigrations.all, views: RegistryViews())
        let databases = store.databases
        let all = [databases.meta, databases.log, databases.eventIndex, databases.feeds, databases.feedEntries] + store.viewDatabases.all
        let statistics = try store.read { txn in try all.map { (name: $0.name, stat: try txn.statistics($0)) } }
        for (name, stat) in statistics.sorted(by: { $0.stat.bytes > $1.stat.bytes }) where stat.entries > 0 {
            print("  \(name): \(stat.entries) entries, \(stat.leafPages) leaf + \(stat.branchPages) branch + \(stat.overflowPages) overflow pages, \(stat.bytes / 1_000) kB")
        }
    }

    /// What the CPU and the page writes of one phase came to.
    struct Phase {
        var wall: Duration = .zero
        var cpu = 0.0
        var writer = 0.0
        var bytes: UInt64 = 0

        mutating func measure<T>(_ body: () throws -> T) rethrows -> T {
            let clock = ContinuousClock()
            let start = clock.now
            let (cpu, writer, bytes) = (CPUTime.process(), CPUTime.thread(), bytesWritten())
            defer {
                wall += clock.now - start
                self.cpu += CPUTime.process() - cpu
                self.writer += CPUTime.thread() - writer
                self.bytes += bytesWritten() - bytes
            }
            return try body()
        }

        func line(_ label: String, events: Int) -> String {
            "\(label): \(rate(events, wall)) events/s wall (\(wall)), \(Int(Double(events) / cpu)) per CPU second, "
                + "\(Int(Double(events) / writer)) per writer-thread CPU second, \(bytes / UInt64(max(1, events))) bytes written per event"
        }
    }

    /// Today's path, for comparison: every batch appended with its views folded in its transaction.
    static func baseline(_ events: [Event], batchSize: Int) throws {
        let folder = try ScratchFolder.create("agora-ingest-baseline")
        defer { ScratchFolder.remove(folder) }
        let store = try Store(directory: folder, migrations: AgoraMigrations.all, views: RegistryViews())
        var phase = Phase()
        try phase.measure { try ReleaseEvents.append(events, to: store, batchSize: batchSize, verification: .chain) }
        print(phase.line("baseline, append with views, \(batchSize) per transaction", events: events.count))
    }

    /// Appends with the views deferred, folding `foldRun` events at a time: whenever that many
    /// are pending, or (`foldAfter`) only once every batch is in the log.
    static func foldBehind(_ events: [Event], folder: URL, batchSize: Int, foldRun: Int, foldAfter: Bool) throws {
        let store = try Store(directory: folder, migrations: AgoraMigrations.all, views: RegistryViews())
        var appends = Phase()
        var folds = Phase()
        var runs = 0
        for start in stride(from: 0, to: events.count, by: batchSize) {
            let batch = Array(events[start..<min(events.count, start + batchSize)])
            let outcomes = try appends.measure { try store.append(batch, verification: .chain, views: .deferred) }
            guard outcomes.allSatisfy({ if case .appended = $0 { true } else { false } }) else {
                throw BenchmarkSetupError("append refused an event")
            }
            if !foldAfter, try store.pendingViewEvents() >= UInt64(foldRun) {
                try folds.measure { _ = try store.foldPendingViews(maxEvents: foldRun) }
                runs += 1
            }
        }
        while try store.pendingViewEvents() > 0 {
            try folds.measure { _ = try store.foldPendingViews(maxEvents: foldRun) }
            runs += 1
        }
        print(appends.line("append, views deferred, \(batchSize) per transaction", events: events.count))
        print(folds.line("fold, \(foldRun) per transaction (\(runs) runs\(foldAfter ? ", after the appends" : ", interleaved"))", events: events.count))
        var total = appends
        total.wall += folds.wall
        total.cpu += folds.cpu
        total.writer += folds.writer
        total.bytes += folds.bytes
        print(total.line("until the views are current", events: events.count))
        let progress = try store.viewProgress()
        print("views: folded through \(progress.folded) of \(progress.logEnd); data.mdb \(try fileSize(folder) / 1_000_000) MB, \(try pagesInUse(store) / 1_000_000) MB of pages in use")
    }

    /// Appends with the views deferred (none folded), then rebuilds them `times` times: the
    /// rebuild alone, repeated in one process, for pairs of binaries alternated in quick turns.
    static func rebuilds(_ events: [Event], folder: URL, batchSize: Int, pageSize: Int, times: Int) throws {
        let store = try Store(directory: folder, migrations: AgoraMigrations.all, views: RegistryViews())
        for start in stride(from: 0, to: events.count, by: batchSize) {
            let outcomes = try store.append(Array(events[start..<min(events.count, start + batchSize)]), verification: .chain, views: .deferred)
            guard outcomes.allSatisfy({ if case .appended = $0 { true } else { false } }) else {
                throw BenchmarkSetupError("append refused an event")
            }
        }
        for _ in 0..<times {
            var rebuild = Phase()
            try rebuild.measure { try store.rebuildViews(pageSize: pageSize) }
            print(rebuild.line("rebuild views", events: events.count))
        }
        print("after the rebuild: \(try pagesInUse(store) / 1_000_000) MB of pages in use")
    }

    /// Bytes of the pages the store's databases hold (leaf, branch and overflow), free pages not counted.
    static func pagesInUse(_ store: Store) throws -> Int {
        let databases = store.databases
        let all = [databases.meta, databases.log, databases.eventIndex, databases.feeds, databases.feedEntries] + store.viewDatabases.all
        let pages = try store.read { txn in try all.reduce(0) { sum, db in
            let stat = try txn.statistics(db)
            return sum + stat.leafPages + stat.branchPages + stat.overflowPages
        } }
        return pages * 4096
    }

    /// Bytes this process has passed to write calls (`wchar` of /proc/self/io): LMDB writes
    /// every page a commit dirtied, so this is the page traffic of the transactions.
    static func bytesWritten() -> UInt64 {
        guard let text = try? String(contentsOfFile: "/proc/self/io", encoding: .utf8) else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix("wchar:") {
            return UInt64(line.dropFirst(6).trimmingCharacters(in: .whitespaces)) ?? 0
        }
        return 0
    }

    static func fileSize(_ folder: URL) throws -> UInt64 {
        (try FileManager.default.attributesOfItem(atPath: folder.appendingPathComponent("data.mdb").path)[.size] as? NSNumber)?.uint64Value ?? 0
    }

    static func rate(_ count: Int, _ duration: Duration) -> Int {
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        return Int(Double(count) / seconds)
    }
}
