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
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
    ],
    targets: [
        .systemLibrary(name: "CLMDB", pkgConfig: "lmdb", providers: [.apt(["liblmdb-dev"])]),
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        .target(
            name: "AgoraCore",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")]
        ),
        .target(
            name: "AgoraStore",
            dependencies: [
                "AgoraCore", "CLMDB", "CZstd",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(name: "AgoraViews", dependencies: ["AgoraCore", "AgoraStore"]),
        /// Test and benchmark helpers (seeded feeds, the PyPI sample reader); never linked into `agora`.
        .target(name: "AgoraTestSupport", dependencies: ["AgoraCore", "AgoraStore", "AgoraViews"]),
        .target(
            name: "AgoraWire",
            dependencies: [
                "AgoraCore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            exclude: ["Proto"]
        ),
        .target(name: "AgoraMigrations", dependencies: ["AgoraStore"], path: "migrations"),
        .target(
            name: "AgoraRegistry",
            dependencies: ["AgoraCore", "AgoraStore", "AgoraViews", "AgoraMigrations"]
        ),
        .executableTarget(
            name: "agora",
            dependencies: [
                "AgoraCore", "AgoraStore", "AgoraViews", "AgoraRegistry", "AgoraWire",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
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
        .testTarget(name: "AgoraRegistryTests", dependencies: ["AgoraRegistry", "AgoraStore", "AgoraViews", "AgoraCore"]),
        // Runs the built `agora` executable as a subprocess (exit codes, messages, signals).
        .testTarget(name: "AgoraCLITests", dependencies: ["AgoraStore", "AgoraViews", "AgoraCore", "AgoraMigrations", "AgoraWire"]),
    ],
    swiftLanguageModes: [.v6]
)
