import Crypto

/// Gossipsub parameters (names as in the v1.0/v1.1 specs) and the bounds that keep every
/// queue and cache finite.
public struct GossipConfiguration: Sendable {
    /// Mesh degree: target, low and high watermarks, peers kept by score when pruning an
    /// oversized mesh, and peers that get IHAVE gossip per heartbeat.
    public var d = 6
    public var dLow = 4
    public var dHigh = 12
    public var dScore = 4
    public var dLazy = 6
    /// Gossip goes to max(dLazy, gossipFactor × eligible peers).
    public var gossipFactor = 0.25
    public var heartbeatInterval: Duration = .seconds(1)
    /// Message cache: windows kept, windows advertised in IHAVE, messages per window.
    public var historyLength = 5
    public var gossipWindows = 3
    public var cacheWindowCapacity = 5000
    public var seenTTL: Duration = .seconds(120)
    public var seenCapacity = 100_000
    public var fanoutTTL: Duration = .seconds(60)
    public var pruneBackoff: Duration = .seconds(60)
    /// A GRAFT this soon after our PRUNE costs an extra behaviour penalty (v1.1).
    public var graftFloodThreshold: Duration = .seconds(10)
    /// Longest backoff we honour from a peer's PRUNE, so a peer cannot park an entry for ever.
    public var maxPeerBackoff: Duration = .seconds(3600)
    /// Per peer per heartbeat: message IDs we ask for after IHAVE, IHAVE messages we heed.
    public var maxIHaveLength = 5000
    public var maxIHaveMessages = 10
    /// A peer that advertised a message and does not send it this long after our IWANT
    /// broke its promise (P7).
    public var iwantFollowupTime: Duration = .seconds(3)
    public var maxPromises = 10_000
    /// How often one peer may fetch one message by IWANT.
    public var gossipRetransmission = 3
    /// Publish to every subscribed peer above the publish threshold, not only the mesh (v1.1).
    public var floodPublish = true
    public var maxPeers = 1000
    public var maxTopicsPerPeer = 128
    /// Messages handed to the validator and not yet judged; more are dropped unseen.
    public var maxPendingValidations = 1024
    public var maxDataSize = 512 << 10
    public var rpcLimits = GossipRPCLimits()
    /// Require StrictSign signatures on every received message.
    public var verifySignatures = true
    public var score = GossipScoreParameters()
    /// SHA-256 of the data: for Agora events, the event ID.
    public var messageID: @Sendable (GossipMessage) -> GossipMessageID = { message in
        GossipMessageID(Array(SHA256.hash(data: message.data)))
    }

    public init() {}
}

/// Peer-score parameters (v1.1). P1 time in mesh, P2 first deliveries and P4 invalid
/// messages per topic (one topic weight); P5 the application's score; P7 behaviour
/// penalties (broken IWANT promises, GRAFT during backoff, malformed frames). P3 (mesh
/// delivery deficit) and P6 (IP colocation) are not computed: P3 needs per-topic traffic
/// expectations Agora does not have yet, and P6 would penalise every loopback cluster;
/// the host already limits connections per address group.
public struct GossipScoreParameters: Sendable {
    public var topicWeight = 1.0
    public var timeInMeshWeight = 0.01
    public var timeInMeshQuantum: Duration = .seconds(1)
    public var timeInMeshCap = 100.0
    public var firstDeliveryWeight = 1.0
    public var firstDeliveryDecay = 0.9
    public var firstDeliveryCap = 20.0
    public var invalidDeliveryWeight = -25.0
    public var invalidDeliveryDecay = 0.99
    public var behaviourPenaltyWeight = -10.0
    public var behaviourPenaltyThreshold = 0.0
    public var behaviourPenaltyDecay = 0.99
    public var applicationWeight = 1.0
    /// Counters below this after decay become zero.
    public var decayToZero = 0.01
    /// A disconnected peer's score is kept this long, so reconnecting does not wash it.
    public var retainScore: Duration = .seconds(3600)
    /// Below: no gossip to or from the peer; no publishing to it; every RPC from it ignored.
    public var gossipThreshold = -10.0
    public var publishThreshold = -50.0
    public var graylistThreshold = -80.0

    public init() {}
}
