import AgoraBlob
import AgoraCore
import AgoraNode
import AgoraRegistry
import AgoraStore
import AgoraTestSupport
import AgoraViews
import AgoraWire
import Foundation
import Logging

/// A node on a real Agora home (registry + store), running the blob protocol: publishes real
/// packages and serves or mirrors their archives. `start`/`stop` may repeat (same home).
final class RegistryTestNode: @unchecked Sendable {
    let directory: TemporaryDirectory
    let home: AgoraHome
    let registry: Registry
    let identity = Identity.generate()
    let host: String
    let mirror: Bool
    private(set) var blobs = BlobNodeProtocol()
    private(set) var node: AgoraNode?
    private var task: Task<Void, any Error>?
    private(set) var addresses: [Multiaddr] = []

    init(host: String, mirror: Bool = false) throws {
        directory = try TemporaryDirectory()
        home = AgoraHome(url: directory.url.appendingPathComponent("home"))
        _ = try Registry.initialize(home: home)
        registry = try Registry(home: home)
        self.host = host
        self.mirror = mirror
    }

    var store: Store { registry.store }
    var peerID: PeerID { PeerID(identity: identity) }

    func start(bootstrap: [Multiaddr] = []) async throws {
        var configuration = NodeConfiguration(
            listen: [try Multiaddr(parsing: "/ip4/\(host)/tcp/0")], bootstrap: bootstrap, mirror: mirror,
            host: Self.patientHost, storePollInterval: .milliseconds(50), redialInterval: .milliseconds(300))
        configuration.sync.liveWaitMillis = 2000
        let (bound, continuation) = AsyncStream.makeStream(of: [Multiaddr].self)
        blobs = BlobNodeProtocol()
        let node = try AgoraNode(identity: identity, store: store, configuration: configuration, protocols: [blobs], logger: Self.quiet) {
            continuation.yield($0)
            continuation.finish()
        }
        self.node = node
        task = Task { try await node.run() }
        addresses = await bound.first { _ in true } ?? []
    }

    func stop() async {
        task?.cancel()
        _ = try? await task?.value
        task = nil
        node = nil
    }

    /// Publishes `scope/name@version` whose one file holds `size` seeded random bytes (so the
    /// archive does not compress); returns the archive's digest.
    @discardableResult
    func publish(_ scope: String, _ name: String, _ version: String, size: Int = 4096, seed: UInt64 = 1) throws -> BlobDigest {
        let folder = directory.url.appendingPathComponent("src-\(name)-\(version)", isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let manifest = Manifest(scope: scope, name: name, version: version, description: "test package \(name)", keywords: ["test"])
        try Data(manifest.canonicalJSON()).write(to: folder.appendingPathComponent(Manifest.fileName))
        var generator = SplitMix64(seed: seed)
        let bytes = (0..<size).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
        try Data(bytes).write(to: folder.appendingPathComponent("payload.bin"))
        _ = try registry.publish(folder: folder)
        let state = try require(store.packageState(PackageKey(scope: scope, name: name)))
        let release = try require(state.releases.first { $0.version == version })
        return try require(BlobDigest(bytes: release.archiveDigest))
    }

    static let patientHost: HostConfiguration = {
        var host = HostConfiguration(streamNegotiationTimeout: .seconds(30))
        host.upgrade.timeout = .seconds(30)
        return host
    }()

    static let quiet: Logger = {
        var logger = Logger(label: "test.node")
        logger.logLevel = .warning
        return logger
    }()
}

private struct MissingValue: Error {}

/// `#require` for helpers outside a test body.
private func require<T>(_ value: T?) throws -> T {
    guard let value else { throw MissingValue() }
    return value
}
