// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "Agora",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "agora", targets: ["agora"]),
        .library(name: "AgoraCore", targets: ["AgoraCore"]),
        .library(name: "AgoraStore", targets: ["AgoraStore"]),
        .library(name: "AgoraViews", targets: ["AgoraViews"]),
        .library(name: "AgoraTestSupport", targets: ["AgoraTestSupport"]),
        .library(name: "AgoraWire", targets: ["AgoraWire"]),
        .library(name: "AgoraRegistry", targets: ["AgoraRegistry"]),
        .library(name: "AgoraSync", targets: ["AgoraSync"]),
        .library(name: "AgoraNode", targets: ["AgoraNode"]),
        .library(name: "AgoraGossip", targets: ["AgoraGossip"]),
        .library(name: "AgoraBlob", targets: ["AgoraBlob"]),
        .library(name: "AgoraDHT", targets: ["AgoraDHT"]),
        .library(name: "AgoraHTTP", targets: ["AgoraHTTP"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        .systemLibrary(name: "CLMDB", pkgConfig: "lmdb", providers: [.apt(["liblmdb-dev"])]),
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .target(
            name: "AgoraCore",
            dependencies: ["CZlib", .product(name: "Crypto", package: "swift-crypto")]
        ),
        .target(
            name: "AgoraStore",
            dependencies: [
                "AgoraCore", "CLMDB", "CZstd",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(name: "AgoraViews", dependencies: ["AgoraCore", "AgoraStore", .product(name: "Crypto", package: "swift-crypto")]),
        /// Test and benchmark helpers (seeded feeds, the PyPI sample reader); never linked into `agora`.
        .target(name: "AgoraTestSupport", dependencies: ["AgoraCore", "AgoraStore", "AgoraViews", "AgoraDHT", "AgoraGossip"]),
        .target(
            name: "AgoraWire",
            dependencies: [
                "AgoraCore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            exclude: ["Proto"]
        ),
        .target(
            name: "AgoraSync",
            dependencies: [
                "AgoraCore", "AgoraWire", "CZstd", .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ],
            exclude: ["Proto"]
        ),
        .target(
            name: "AgoraNode",
            dependencies: [
                "AgoraCore", "AgoraStore", "AgoraWire", "AgoraSync", "AgoraGossip", "AgoraBlob", "AgoraDHT", "AgoraViews",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ]
        ),
        /// Kademlia (`/ipfs/kad/1.0.0`): pure machines (routing table, lookup, records) and the host shell.
        .target(
            name: "AgoraDHT",
            dependencies: [
                "AgoraCore", "AgoraWire", "AgoraStore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            exclude: ["Proto"]
        ),
        .target(name: "AgoraMigrations", dependencies: ["AgoraStore"], path: "migrations"),
        // Gossipsub (/meshsub/1.1.0) and archive transfer (/agora/blob/1.0.0): pure machines + thin shells.
        .target(
            name: "AgoraGossip",
            dependencies: [
                "AgoraCore", "AgoraWire", .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            exclude: ["Proto"]
        ),
        .target(
            name: "AgoraBlob",
            dependencies: [
                "AgoraCore", "AgoraStore", "AgoraWire",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            exclude: ["Proto"]
        ),
        .target(
            name: "AgoraRegistry",
            dependencies: ["AgoraCore", "AgoraStore", "AgoraViews", "AgoraMigrations"]
        ),
        /// The HTTP front door: the Swift Package Registry API, the JSON API and the web page.
        .target(
            name: "AgoraHTTP",
            dependencies: [
                "AgoraCore", "AgoraStore", "AgoraViews", "AgoraRegistry", "AgoraNode",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .executableTarget(
            name: "agora",
            dependencies: [
                "AgoraCore", "AgoraStore", "AgoraViews", "AgoraRegistry", "AgoraWire", "AgoraNode", "AgoraMigrations",
                "AgoraDHT", "AgoraHTTP",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "AgoraCoreTests", dependencies: ["AgoraCore", "AgoraTestSupport"]),
        .testTarget(name: "AgoraStoreTests", dependencies: ["AgoraStore", "AgoraCore", "AgoraMigrations", "AgoraTestSupport"]),
        .testTarget(
            name: "AgoraViewsTests",
            dependencies: ["AgoraViews", "AgoraStore", "AgoraCore", "AgoraMigrations", "AgoraTestSupport"]
        ),
        .testTarget(
            name: "AgoraWireTests",
            dependencies: [
                "AgoraWire", "AgoraCore", "AgoraTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "AgoraSyncTests", dependencies: ["AgoraSync", "AgoraCore", "AgoraWire", "AgoraTestSupport"]),
        .testTarget(
            name: "AgoraNodeTests",
            dependencies: [
                "AgoraNode", "AgoraSync", "AgoraStore", "AgoraCore", "AgoraWire", "AgoraViews", "AgoraMigrations", "AgoraTestSupport",
                "AgoraGossip", "AgoraBlob", "AgoraRegistry", "AgoraDHT",
            ]
        ),
        .testTarget(
            name: "AgoraDHTTests",
            dependencies: ["AgoraDHT", "AgoraWire", "AgoraStore", "AgoraCore", "AgoraTestSupport", .product(name: "Logging", package: "swift-log")]
        ),
        .testTarget(name: "AgoraGossipTests", dependencies: ["AgoraGossip", "AgoraWire", "AgoraCore", "AgoraTestSupport"]),
        .testTarget(
            name: "AgoraBlobTests",
            dependencies: ["AgoraBlob", "AgoraStore", "AgoraWire", "AgoraCore", "AgoraMigrations", "AgoraTestSupport"]
        ),
        // Real servers on loopback, real `swift package` clients: suites are *NetworkTests.
        .testTarget(
            name: "AgoraHTTPTests",
            dependencies: [
                "AgoraHTTP", "AgoraRegistry", "AgoraStore", "AgoraCore", "AgoraTestSupport", "AgoraNode", "AgoraWire",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(name: "AgoraRegistryTests", dependencies: ["AgoraRegistry", "AgoraStore", "AgoraViews", "AgoraCore", "AgoraTestSupport"]),
        // Runs the built `agora` executable as a subprocess (exit codes, messages, signals).
        .testTarget(name: "AgoraCLITests", dependencies: ["AgoraStore", "AgoraViews", "AgoraCore", "AgoraMigrations", "AgoraWire"]),
    ],
    swiftLanguageModes: [.v6]
)
