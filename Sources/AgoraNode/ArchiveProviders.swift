import AgoraStore
import AgoraWire

/// Where a node looks for an archive beyond the peers it is connected to: the DHT's provider
/// records, a static list, a tracker. The blob protocol dials what a source returns and asks
/// it like any connected peer; a wrong answer costs one manifest request, so sources need not
/// be trusted. Implementations return quickly (a bounded lookup) and at most `limit` entries.
public protocol ArchiveProviderSource: Sendable {
    /// Dialable addresses ending in `/p2p/<peer>` of nodes that may hold `digest`.
    func providers(of digest: BlobDigest, limit: Int) async -> [Multiaddr]
}
