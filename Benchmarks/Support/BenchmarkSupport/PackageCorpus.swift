import AgoraCore
import AgoraStore
@_exported import AgoraTestSupport
import Foundation

/// The packages a benchmark loads: the shared PyPI sample when present, else a seeded
/// synthetic set of the same size, so the benchmarks run on a fresh clone too.
public struct PackageCorpus: Sendable {
    public let records: [PyPIRecord]
    /// Where the records came from, for the printed report.
    public let source: String
    /// Names the data exactly (a digest of the file, or the generator's seed and size), so a
    /// cached store built from it is reused only for the same data.
    public let key: String
    public let isRealPyPI: Bool

    /// `AGORA_PYPI_TSV` when set, else `../shared/data/pypi-100k.tsv` next to the Agora checkout.
    public static var sampleLocation: URL {
        let packageRoot = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return PyPIMetadata.sampleLocation(packageRoot: packageRoot)
    }

    /// The PyPI sample (first `count` records) when readable, else `count` generated packages.
    public static func load(count: Int = 100_000) throws -> PackageCorpus {
        let url = sampleLocation
        if let bytes = try? Data(contentsOf: url), bytes.count <= PyPIMetadata.maxFileSize {
            let records = Array(try PyPIMetadata.parse(Array(bytes)).prefix(count))
            let digest = EventID(hashing: Array(bytes)).hex.prefix(16)
            return PackageCorpus(records: records, source: url.path, key: "pypi-\(digest)-\(records.count)", isRealPyPI: true)
        }
        let seed: UInt64 = 2_026
        return PackageCorpus(
            records: generated(count: count, seed: seed), source: "generated (seed \(seed))",
            key: "generated-\(seed)-\(count)", isRealPyPI: false)
    }

    static let syllables = [
        "py", "json", "http", "data", "net", "io", "lib", "kit", "flow", "core", "web", "sql", "auth", "graph", "log",
        "test", "dev", "cloud", "fast", "util", "parse", "async", "cache", "crypt", "image", "text", "time", "task",
        "queue", "plot", "math", "stat", "geo", "file", "path", "conf", "mail", "chat", "bot", "scan", "sync", "hub",
    ]
    static let words = [
        "a", "simple", "fast", "library", "for", "parsing", "json", "http", "requests", "client", "server", "tool",
        "data", "analysis", "python", "wrapper", "api", "the", "plugin", "framework", "async", "command", "line",
        "interface", "image", "processing", "machine", "learning", "database", "driver", "utilities", "testing",
        "cloud", "storage", "logging", "configuration", "files", "web", "scraping", "natural", "language", "queue",
        "crypto", "time", "series", "plotting", "graph", "network", "security", "authentication", "templates",
    ]

    /// Unique names built from common name parts, summaries from common summary words; the
    /// first 15,000 get a download rank, like the ranked part of the real sample.
    public static func generated(count: Int, seed: UInt64) -> [PyPIRecord] {
        var rng = SeededGenerator(seed: seed)
        var names = Set<String>()
        var records: [PyPIRecord] = []
        records.reserveCapacity(count)
        while records.count < count {
            let parts = (0..<Int.random(in: 2...3, using: &rng)).map { _ in syllables.randomElement(using: &rng)! }
            var name = parts.joined(separator: Bool.random(using: &rng) ? "-" : "")
            if Int.random(in: 0..<3, using: &rng) == 0 { name += String(Int.random(in: 2...99, using: &rng)) }
            guard names.insert(name).inserted else { continue }
            let summary = (0..<Int.random(in: 3...10, using: &rng)).map { _ in words.randomElement(using: &rng)! }.joined(separator: " ")
            let rank = records.count < 15_000 ? records.count + 1 : nil
            records.append(PyPIRecord(name: name, version: "1.\(records.count % 40).0", downloadRank: rank, summary: summary))
        }
        return records
    }
}
