import AgoraCore
import AgoraMigrations
import AgoraNode
import AgoraStore
import AgoraTestSupport
import AgoraViews
import AgoraWire
import Foundation
import Logging
import Testing

/// A node for in-process network tests: its own store in a temporary directory, its own
/// loopback address (127.0.0.x, so the per-address connection limit never bites), fast
/// intervals. `start` and `stop` may be called again: a restart reuses the store on disk.
final class TestNode: @unchecked Sendable {
    let directory: TemporaryDirectory
    let store: Store
    let identity: Identity
    /// Guards the node key's feed (see `NodeFeedGuard`); nil signs whatever the store holds.
    var reporterGuard: (any FeedSigningGuard)?
    let host: String
    let mirror: Bool
    let followPeers: Bool
    private(set) var node: AgoraNode?
    private var task: Task<Void, any Error>?
    private(set) var addresses: [Multiaddr] = []

    /// How long a catch-up leader may deliver nothing before another peer takes over.
    var takeoverAfter: Duration = .seconds(5)
    /// The archive cache's budget at the next start (nil: unbounded).
    var archiveCacheBytes: UInt64?

    /// Makes the node's extra protocol modules at each start (a restart gets fresh ones).
    var protocols: @Sendable () -> [any NodeProtocol] = { [] }

    /// - Parameter followPeers: false leaves sync to gossip's gap requests (see `NodeConfiguration`).
    convenience init(host: String, mirror: Bool = false, followPeers: Bool = true, identity: Identity = .generate()) throws {
        let directory = try TemporaryDirectory()
        try self.init(
            directory: directory, store: Store(home: directory.url, migrations: AgoraMigrations.all, views: RegistryViews()),
            host: host, mirror: mirror, followPeers: followPeers, identity: identity)
    }

    init(directory: TemporaryDirectory, store: Store, host: String, mirror: Bool, followPeers: Bool = true, identity: Identity = .generate()) {
        self.directory = directory
        self.store = store
        self.identity = identity
        self.host = host
        self.mirror = mirror
        self.followPeers = followPeers
    }

    var peerID: PeerID { PeerID(identity: identity) }

    func start(bootstrap: [Multiaddr] = [], protocols: [any NodeProtocol] = []) async throws {
        var configuration = NodeConfiguration(
            listen: [try Multiaddr(parsing: "/ip4/\(host)/tcp/0")], bootstrap: bootstrap, mirror: mirror,
            followPeers: followPeers, storePollInterval: .milliseconds(50), redialInterval: .milliseconds(300))
        configuration.host.streamNegotiationTimeout = .seconds(30)
        configuration.host.upgrade.timeout = .seconds(30)
        // Outbound dials leave from 127.0.0.1 whatever address a node listens on.
        configuration.host.limits.maxConnectionsPerAddress = 256
        configuration.host.limits.maxPendingInboundPerAddress = 64
        configuration.sync.liveWaitMillis = 2000
        configuration.sync.takeoverAfter = takeoverAfter
        configuration.archiveCacheBytes = archiveCacheBytes
        configuration.archiveCacheInterval = .milliseconds(100)
        var logger = Logger(label: "test.node")
        logger.logLevel = .warning
        let (bound, continuation) = AsyncStream.makeStream(of: [Multiaddr].self)
        let node = try AgoraNode(identity: identity, store: store, configuration: configuration, protocols: self.protocols() + protocols,
            reporterGuard: reporterGuard, logger: logger
        ) { addresses in
            continuation.yield(addresses)
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

    func has(_ event: Event) throws -> Bool { try store.event(id: event.id) != nil }

    /// Log entries not signed by this node (its own feed holds its reputation events).
    func foreignEventCount() throws -> Int {
        try store.events(since: 0, limit: Store.maxPageSize).filter { $0.event.author != identity.publicKey }.count
    }

    /// Whether this node's own feed records a penalty of `peer`.
    func hasPenalised(_ peer: PeerID) throws -> Bool {
        try store.events(author: identity.publicKey).contains { event in
            if case .peerPenalised(let penalty)? = try? event.decodedBody() { penalty.peer == peer.bytes } else { false }
        }
    }

    func peerStatus(_ peer: PeerID) async -> NodeStatus.Peer? {
        await node?.status().peers.first { $0.peerID == peer.base58 }
    }
}

