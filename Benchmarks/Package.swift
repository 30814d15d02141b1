// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "AgoraBenchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "Agora", path: "../"),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        .executableTarget(
            name: "CoreBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "AgoraCore", package: "Agora"),
            ],
            path: "Benchmarks/CoreBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "WireBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "AgoraCore", package: "Agora"),
                .product(name: "AgoraWire", package: "Agora"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Benchmarks/WireBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "StoreBenchmarks",
            dependencies: [
                "BenchmarkSupport",
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "AgoraCore", package: "Agora"),
                .product(name: "AgoraStore", package: "Agora"),
                .product(name: "AgoraViews", package: "Agora"),
                .product(name: "AgoraTestSupport", package: "Agora"),
                .product(name: "AgoraRegistry", package: "Agora"),
            ],
            path: "Benchmarks/StoreBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "SearchBenchmarks",
            dependencies: [
                "BenchmarkSupport",
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "AgoraStore", package: "Agora"),
                .product(name: "AgoraViews", package: "Agora"),
                .product(name: "AgoraTestSupport", package: "Agora"),
                .product(name: "AgoraRegistry", package: "Agora"),
            ],
            path: "Benchmarks/SearchBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        /// Fills an `$AGORA_HOME` with the 100k corpus for `tools/bench-cli.sh`; not a benchmark
        /// (the plugin runs only executables directly under `Benchmarks/`).
        .executableTarget(
            name: "LoadPyPI",
            dependencies: [
                "BenchmarkSupport",
                .product(name: "AgoraStore", package: "Agora"),
                .product(name: "AgoraViews", package: "Agora"),
                .product(name: "AgoraTestSupport", package: "Agora"),
                .product(name: "AgoraRegistry", package: "Agora"),
            ],
            path: "Tools/LoadPyPI"
        ),
        /// The search evaluation set against the 100k corpus with popularity (`tools/search-eval-fts5.py` for FTS5).
        .executableTarget(
            name: "SearchEval",
            dependencies: [
                "BenchmarkSupport",
                .product(name: "AgoraStore", package: "Agora"),
                .product(name: "AgoraViews", package: "Agora"),
                .product(name: "AgoraRegistry", package: "Agora"),
            ],
            path: "Tools/SearchEval"
        ),
        /// Per-query CPU time and index reads of search, slowest queries by kind (`perf` companion).
        .executableTarget(
            name: "SearchProfile",
            dependencies: [
                "BenchmarkSupport",
                .product(name: "AgoraStore", package: "Agora"),
                .product(name: "AgoraViews", package: "Agora"),
                .product(name: "AgoraRegistry", package: "Agora"),
            ],
            path: "Tools/SearchProfile"
        ),
        /// Append and rebuild at 100k and 1M events, for `perf` and store-size measurements.
        .executableTarget(
            name: "IngestBench",
            dependencies: [
                "BenchmarkSupport",
                .product(name: "AgoraStore", package: "Agora"),
                .product(name: "AgoraViews", package: "Agora"),
                .product(name: "AgoraRegistry", package: "Agora"),
            ],
            path: "Tools/IngestBench"
        ),
        /// Mirror catch-up events/s over loopback from one and from three source nodes.
        .executableTarget(
            name: "MirrorBench",
            dependencies: [
                "BenchmarkSupport",
                .product(name: "AgoraNode", package: "Agora"),
                .product(name: "AgoraSync", package: "Agora"),
                .product(name: "AgoraStore", package: "Agora"),
                .product(name: "AgoraViews", package: "Agora"),
                .product(name: "AgoraWire", package: "Agora"),
                .product(name: "AgoraRegistry", package: "Agora"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tools/MirrorBench"
        ),
        /// `tools/fuzz.sh`: seeded fuzz campaigns against every decoder, each target in a
        /// child process so a trap is reported with its input.
        .executableTarget(
            name: "agora-fuzz",
            dependencies: [
                .product(name: "AgoraTestSupport", package: "Agora"),
                .product(name: "AgoraCore", package: "Agora"),
                .product(name: "AgoraWire", package: "Agora"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Tools/AgoraFuzz"
        ),
        /// `tools/rss.sh`: resident memory of `agora serve` under idle connections and a ping flood.
        .executableTarget(
            name: "agora-load",
            dependencies: [
                .product(name: "AgoraCore", package: "Agora"),
                .product(name: "AgoraWire", package: "Agora"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tools/AgoraLoad"
        ),
        /// `tools/dht-bench.sh`: the DHT simulator at 100 – 10,000 nodes (latency, hops, churn, speed).
        .executableTarget(
            name: "DHTSim",
            dependencies: [
                .product(name: "AgoraDHT", package: "Agora"),
                .product(name: "AgoraTestSupport", package: "Agora"),
            ],
            path: "Tools/DHTSim"
        ),
        /// Real DHT nodes on loopback: join time, table sizes, lookup latency, memory per node.
        .executableTarget(
            name: "DHTLoopback",
            dependencies: [
                .product(name: "AgoraCore", package: "Agora"),
                .product(name: "AgoraDHT", package: "Agora"),
                .product(name: "AgoraWire", package: "Agora"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Tools/DHTLoopback"
        ),
        /// Gossip delivery times and blob download throughput with real hosts on loopback
        /// (AgoraRegistry brings AgoraMigrations, which is not a product of its own).
        .executableTarget(
            name: "GossipBench",
            dependencies: [
                .product(name: "AgoraCore", package: "Agora"),
                .product(name: "AgoraWire", package: "Agora"),
                .product(name: "AgoraGossip", package: "Agora"),
                .product(name: "AgoraBlob", package: "Agora"),
                .product(name: "AgoraStore", package: "Agora"),
                .product(name: "AgoraRegistry", package: "Agora"),
                .product(name: "AgoraNode", package: "Agora"),
                .product(name: "AgoraSync", package: "Agora"),
                .product(name: "AgoraTestSupport", package: "Agora"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tools/GossipBench"
        ),
        .target(
            name: "BenchmarkSupport",
            dependencies: [
                .product(name: "AgoraCore", package: "Agora"),
                .product(name: "AgoraTestSupport", package: "Agora"),
                .product(name: "AgoraStore", package: "Agora"),
                .product(name: "AgoraViews", package: "Agora"),
            ],
            path: "Support/BenchmarkSupport"
        ),
    ],
    swiftLanguageModes: [.v6]
)
