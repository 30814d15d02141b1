import AgoraBlob
import AgoraCore
import AgoraNode
import AgoraRegistry
import AgoraStore
import AgoraTestSupport
import AgoraViews
import AgoraWire
import Foundation

/// A node on a real Agora home (registry + store), running the blob protocol: publishes real
/// packages and serves or mirrors their archives. `start`/`stop` may repeat (same home).
final class RegistryTestNode: @unchecked Sendable {
    let home: AgoraHome
    let registry: Registry
    let node: TestNode
    private let latest = LockedBox(BlobNodeProtocol())

    /// - Parameter dht: also runs the DHT module (server mode, announcing what it holds).
    init(host: String, mirror: Bool = false, followPeers: Bool = true, dht: Bool = false) throws {
        let directory = try TemporaryDirectory()
        home = AgoraHome(url: directory.url.appendingPathComponent("home"))
        _ = try Registry.initialize(home: home)
        registry = try Registry(home: home)
        let node = TestNode(directory: directory, store: registry.store, host: host, mirror: mirror, followPeers: followPeers)
        self.node = node
        node.protocols = { [latest, unowned node] in
            let blobs = BlobNodeProtocol()
            latest.set(blobs)
            return [blobs] + (dht ? [NodeDHTNetworkTests.dht(node)] : [])
        }
    }

    var directory: TemporaryDirectory { node.directory }
    var store: Store { registry.store }
    var peerID: PeerID { node.peerID }
    var addresses: [Multiaddr] { node.addresses }
    /// The blob module of the current (or last) run.
    var blobs: BlobNodeProtocol { latest.current }

    func start(bootstrap: [Multiaddr] = []) async throws { try await node.start(bootstrap: bootstrap) }
    func stop() async { await node.stop() }

    /// Publishes `scope/name@version` whose one file holds `size` seeded random bytes (so the
    /// archive does not compress); returns the archive's digest.
    @discardableResult
    func publish(
        _ scope: String, _ name: String, _ version: String, size: Int = 4096, seed: UInt64 = 1, dependencies: [String: String] = [:]
    ) throws -> BlobDigest {
        let folder = directory.url.appendingPathComponent("src-\(name)-\(version)", isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var manifest = Manifest(scope: scope, name: name, version: version, description: "test package \(name)", keywords: ["test"])
        manifest.dependencies = dependencies
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
}

private struct MissingValue: Error {}

/// `#require` for helpers outside a test body.
private func require<T>(_ value: T?) throws -> T {
    guard let value else { throw MissingValue() }
    return value
}
