import AgoraWire

/// For each connected peer, the local sequences the writer appended from what that peer sent
/// (sync batches, gossip). When the peer follows this node's changes feed they are left out,
/// so a mirror catching up does not send every source back the log it just took from it.
///
/// What the skip trusts: the peer's identity (authenticated by Noise) and that a peer holds
/// what it sent — an honest one served it from its log or appended it before forwarding. Only
/// the requester's own feed of changes is thinned, so a peer that lies about what it holds
/// deprives no one but itself. A peer's entries go when it disconnects (a restarted peer may
/// have lost its store), and the requester's once-per-session signed-heads check fetches any
/// feed where this node is still ahead. Bounded: at most `maxPeers` peers (others are not
/// recorded) and `maxRangesPerPeer` ranges each (the oldest go); what is not recorded is
/// sent, as duplicates the peer drops.
struct PeerEchoes {
    static let maxPeers = 256
    static let maxRangesPerPeer = 1024
    private var peers: [PeerID: NetworkAppends] = [:]

    /// Records the local sequences appended from `peer` in one commit (ascending).
    mutating func record(_ localSeqs: [UInt64], from peer: PeerID) {
        guard !localSeqs.isEmpty, peers[peer] != nil || peers.count < Self.maxPeers else { return }
        for localSeq in localSeqs { peers[peer, default: NetworkAppends()].record(localSeq) }
        peers[peer]?.forget(through: 0, keeping: Self.maxRangesPerPeer)
    }

    /// The local sequences in (after, upTo] that came from `peer`. The peer asks from
    /// `after` on, so everything up to it is dropped: a session that restarts from an older
    /// position is sent those again, as duplicates.
    mutating func echoes(of peer: PeerID, after: UInt64, upTo: UInt64) -> [ClosedRange<UInt64>] {
        peers[peer]?.forget(through: after, keeping: Self.maxRangesPerPeer)
        guard let ranges = peers[peer], !ranges.isEmpty else {
            peers[peer] = nil
            return []
        }
        return ranges.ranges(after: after, upTo: upTo)
    }

    mutating func forget(_ peer: PeerID) {
        peers[peer] = nil
    }
}
