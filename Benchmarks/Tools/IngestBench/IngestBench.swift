import AgoraCore
import AgoraMigrations
import AgoraStore
import AgoraViews
import BenchmarkSupport
import Foundation

/// Ingest at scale, outside the benchmark plugin (1M events is too slow for its iterations):
/// `IngestBench <count> [folder]` signs `count` generated releases (10 feeds, one scope each),
/// appends them 1,000 per transaction with chain verification and the registry views, then
/// rebuilds the views, and prints events/s for both (wall clock, and per CPU second of this
/// process, which the machine's other load does not inflate), and the store's size after the
/// load and after `Store.compact`. The store is left in `folder` for
/// `mdb_stat` when one is given, else removed.
@main
enum IngestBench {
    static func main() throws {
        let arguments = CommandLine.arguments
        let count = arguments.count > 1 ? Int(arguments[1]) ?? 100_000 : 100_000
        let keep = arguments.count > 2 ? URL(fileURLWithPath: arguments[2]) : nil
        let folder = try keep ?? ScratchFolder.create("agora-ingest")
        defer { if keep == nil { ScratchFolder.remove(folder) } }
        let clock = ContinuousClock()

        var start = clock.now
        let events = ReleaseEvents.sign(PackageCorpus.generated(count: count, seed: 7), feeds: 10, keySeed: 1, scope: nil)
        print("signed \(count) events in \(clock.now - start)")

        do {
            let store = try Store(directory: folder, migrations: AgoraMigrations.all, views: RegistryViews())
            start = clock.now
            var cpu = cpuSeconds()
            try ReleaseEvents.append(events, to: store, batchSize: 1_000, verification: .chain)
            let append = clock.now - start
            print("append with views: \(rate(count, append)) events/s wall (\(append)), \(Int(Double(count) / (cpuSeconds() - cpu))) events per CPU second")
            print("data.mdb after the load: \(try fileSize(folder) / 1_000_000) MB")

            start = clock.now
            cpu = cpuSeconds()
            try store.rebuildViews()
            let rebuild = clock.now - start
            print("rebuild views:     \(rate(count, rebuild)) events/s wall (\(rebuild)), \(Int(Double(count) / (cpuSeconds() - cpu))) events per CPU second")
        }
        let report = try Store.compact(directory: folder)
        print("data.mdb: \(report.bytesBefore / 1_000_000) MB after the rebuild, \(report.bytesAfter / 1_000_000) MB compacted")
    }

    static func fileSize(_ folder: URL) throws -> UInt64 {
        (try FileManager.default.attributesOfItem(atPath: folder.appendingPathComponent("data.mdb").path)[.size] as? NSNumber)?.uint64Value ?? 0
    }

    /// User + system CPU time of this process: on a shared machine, the figure other
    /// processes' load does not inflate (signing threads are idle by then).
    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }

    static func rate(_ count: Int, _ duration: Duration) -> Int {
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        return Int(Double(count) / seconds)
    }
}
