import AgoraStore
import AgoraSync
import AgoraWire
import Logging

/// A protocol module of the node (sync here; gossip, blobs and the DHT plug in the same way):
/// it registers its stream handlers on the host, reacts to peer events and appends through
/// the node's one writer. `run` lasts as long as the node and ends on cancellation.
public protocol NodeProtocol: Sendable {
    func run(in context: NodeContext) async throws
}

/// What the node hands each protocol module.
public struct NodeContext: Sendable {
    public let host: P2PHost
    /// This module's own subscription (bounded; see `P2PHost.peerEvents`).
    public let peerEvents: AsyncStream<PeerEvent>
    public let writer: EventWriter
    public let store: Store
    /// The log's newest local sequence, advanced on every commit the node sees.
    public let log: LogWatcher
    public let configuration: NodeConfiguration
    public let logger: Logger
    /// The node's sync module: its ban list, and catch-up requests from other modules.
    let sync: SyncNodeProtocol
    /// The node's reputation log and its own scores of peers.
    public let reputation: Reputation
    /// The latest ping round trips, for ranking peers.
    let rtts: PeerRTTs
}
