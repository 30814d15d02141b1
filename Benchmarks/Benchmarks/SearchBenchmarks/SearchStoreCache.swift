import AgoraRegistry
import AgoraStore
import AgoraTestSupport
import AgoraViews
import BenchmarkSupport
import Foundation

/// The 100k-package store, built once per data set and benchmark run and shared by the search
/// benchmarks, which the benchmark tool runs as separate processes of one parent: the folder
/// is keyed by the data and by that parent's pid. Loading takes far longer than the queries.
enum SearchStoreCache {
    static let prefix = "agora-bench-search-"
    static let completeMarker = "complete"

    static func folder(for corpus: PackageCorpus) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)\(corpus.key)-run\(getppid())", isDirectory: true)
    }

    /// Opens the cached home for this run, building it first (under a scratch name, renamed
    /// when complete, so an interrupted build is never mistaken for a finished one).
    static func open(_ corpus: PackageCorpus) throws -> Registry {
        removeAbandoned()
        let home = folder(for: corpus)
        if !FileManager.default.fileExists(atPath: home.appendingPathComponent(completeMarker).path) {
            try build(corpus, at: home)
        }
        return try Registry(home: AgoraHome(url: home))
    }

    static func build(_ corpus: PackageCorpus, at home: URL) throws {
        let scratch = URL(fileURLWithPath: home.path + "-building\(getpid())", isDirectory: true)
        ScratchFolder.remove(scratch)
        defer { ScratchFolder.remove(scratch) }
        let clock = ContinuousClock()
        let start = clock.now
        let events = ReleaseEvents.sign(corpus.records, feeds: 5, keySeed: 40, scope: PyPIMetadata.scope)
        let signed = clock.now
        _ = try Registry.initialize(home: AgoraHome(url: scratch))
        do {
            let registry = try Registry(home: AgoraHome(url: scratch))
            try ReleaseEvents.append(events, to: registry.store, batchSize: 5_000, verification: .chain)
            try ReleaseEvents.appendPopularity(for: corpus.records, to: registry.store)
        }
        try Data().write(to: scratch.appendingPathComponent(completeMarker))
        ScratchFolder.remove(home)
        try FileManager.default.moveItem(at: scratch, to: home)
        report("built the \(corpus.records.count)-package store from \(corpus.source): signing \(signed - start), appending with views \(clock.now - signed) (5,000 per transaction)")
    }

    /// Stores left by earlier runs whose benchmark tool has exited.
    static func removeAbandoned() {
        let temporary = FileManager.default.temporaryDirectory
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: temporary.path) else { return }
        for name in names where name.hasPrefix(prefix) {
            guard let range = name.range(of: "-run", options: .backwards),
                  let pid = Int32(name[range.upperBound...].prefix { $0.isNumber }), pid != getppid(),
                  kill(pid, 0) != 0, errno == ESRCH
            else { continue }
            ScratchFolder.remove(temporary.appendingPathComponent(name))
        }
    }
}

/// Benchmark processes share stdout with the tool's report; stderr stays out of its tables.
func report(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
