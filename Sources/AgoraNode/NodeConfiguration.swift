import AgoraGossip
import AgoraSync
import AgoraWire
import Foundation

public struct NodeConfiguration: Sendable {
    public var listen: [Multiaddr]
    /// Dialled at start and whenever not connected, besides the peers the store remembers.
    public var bootstrap: [Multiaddr]
    /// A mirror keeps a full copy: every feed (as every node does) and every archive, which
    /// the blob protocol reads from here.
    public var mirror: Bool
    public var host: HostConfiguration
    public var sync: SyncClientMachine.Configuration
    /// False: sync follows a peer only when another module asks it to catch up (gossip saw a
    /// gap), which is how the tests prove that path; true (the default) follows every peer.
    public var followPeers: Bool
    public var gossip: GossipServiceConfiguration
    /// The gossipsub topic of this node's network: every event is published on it.
    public var gossipTopic: String
    /// How often the store is checked for events other processes wrote (`agora publish`).
    public var storePollInterval: Duration
    /// How often unconnected bootstrap and known peers are dialled.
    public var redialInterval: Duration
    /// Where the running node writes its state for `agora status` and `agora peers`.
    public var statusFile: URL?
    public var statusInterval: Duration
    /// How often pending reputation observations are signed and written (penalties at once).
    public var reputationFlushInterval: Duration
    /// The archive cache's budget in bytes: past it, the least recently used archives nobody
    /// pinned are deleted (checked every `archiveCacheInterval` and after each fetch). Nil
    /// keeps everything; a mirror always does.
    public var archiveCacheBytes: UInt64?
    public var archiveCacheInterval: Duration

    public init(
        listen: [Multiaddr] = [], bootstrap: [Multiaddr] = [], mirror: Bool = false, host: HostConfiguration = HostConfiguration(),
        sync: SyncClientMachine.Configuration = .init(), followPeers: Bool = true,
        gossip: GossipServiceConfiguration = GossipServiceConfiguration(), gossipTopic: String = "agora/events/1",
        storePollInterval: Duration = .milliseconds(200),
        redialInterval: Duration = .seconds(5), statusFile: URL? = nil, statusInterval: Duration = .seconds(1),
        reputationFlushInterval: Duration = .seconds(2), archiveCacheBytes: UInt64? = nil, archiveCacheInterval: Duration = .seconds(10)
    ) {
        self.listen = listen
        self.bootstrap = bootstrap
        self.mirror = mirror
        self.host = host
        self.sync = sync
        self.followPeers = followPeers
        self.gossip = gossip
        self.gossipTopic = gossipTopic
        self.storePollInterval = storePollInterval
        self.redialInterval = redialInterval
        self.statusFile = statusFile
        self.statusInterval = statusInterval
        self.reputationFlushInterval = reputationFlushInterval
        self.archiveCacheBytes = archiveCacheBytes
        self.archiveCacheInterval = archiveCacheInterval
    }

    /// The budget the cache keeps to: none on a mirror.
    public var archiveCacheBudget: UInt64? { mirror ? nil : archiveCacheBytes }
}
