import AgoraCore

/// A message identifier. Agora computes it as SHA-256 of the message data, which for an
/// event is its event ID, so gossip and the log name an event the same way.
public struct GossipMessageID: Hashable, Sendable, CustomStringConvertible {
    public let bytes: [UInt8]

    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    public var description: String {
        Hex.encode(bytes.prefix(8))
    }
}

/// One pubsub message as it travels (libp2p `Message`: from, data, seqno, topic,
/// signature, key).
public struct GossipMessage: Hashable, Sendable {
    /// The author's peer ID bytes.
    public var from: [UInt8]
    public var data: [UInt8]
    public var seqno: [UInt8]
    public var topic: String
    public var signature: [UInt8]
    /// The author's protobuf-encoded public key; omitted when the peer ID inlines it.
    public var key: [UInt8]

    public init(from: [UInt8], data: [UInt8], seqno: [UInt8], topic: String, signature: [UInt8] = [], key: [UInt8] = []) {
        self.from = from
        self.data = data
        self.seqno = seqno
        self.topic = topic
        self.signature = signature
        self.key = key
    }
}

public struct GossipSubscription: Hashable, Sendable {
    public var subscribe: Bool
    public var topic: String

    public init(subscribe: Bool, topic: String) {
        self.subscribe = subscribe
        self.topic = topic
    }
}

public struct GossipIHave: Hashable, Sendable {
    public var topic: String
    public var messageIDs: [GossipMessageID]

    public init(topic: String, messageIDs: [GossipMessageID]) {
        self.topic = topic
        self.messageIDs = messageIDs
    }
}

public struct GossipPrune: Hashable, Sendable {
    public var topic: String
    /// Seconds the pruned peer must wait before grafting again (v1.1); nil = the receiver's default.
    public var backoff: UInt64?

    public init(topic: String, backoff: UInt64?) {
        self.topic = topic
        self.backoff = backoff
    }
}

/// The control part of an RPC (IHAVE, IWANT, GRAFT, PRUNE). Peer exchange records in a
/// PRUNE are skipped when decoding: this router does not dial peers it is told about.
public struct GossipControl: Hashable, Sendable {
    public var ihave: [GossipIHave] = []
    public var iwant: [GossipMessageID] = []
    public var graft: [String] = []
    public var prune: [GossipPrune] = []

    public init(ihave: [GossipIHave] = [], iwant: [GossipMessageID] = [], graft: [String] = [], prune: [GossipPrune] = []) {
        self.ihave = ihave
        self.iwant = iwant
        self.graft = graft
        self.prune = prune
    }

    public var isEmpty: Bool { ihave.isEmpty && iwant.isEmpty && graft.isEmpty && prune.isEmpty }
}

/// One libp2p pubsub RPC: what travels in each length-prefixed frame.
public struct GossipRPC: Hashable, Sendable {
    public var subscriptions: [GossipSubscription] = []
    public var messages: [GossipMessage] = []
    public var control = GossipControl()

    public init(subscriptions: [GossipSubscription] = [], messages: [GossipMessage] = [], control: GossipControl = GossipControl()) {
        self.subscriptions = subscriptions
        self.messages = messages
        self.control = control
    }

    public var isEmpty: Bool { subscriptions.isEmpty && messages.isEmpty && control.isEmpty }
}

/// The verdict of the application's validator on a message.
public enum GossipValidation: Sendable, Equatable {
    /// Deliver and forward.
    case accept
    /// Invalid: drop, and penalise the peer that sent it.
    case reject
    /// Drop without penalty (e.g. a message we cannot judge yet).
    case ignore
}

/// The meshsub protocol versions this router speaks, newest first.
public enum GossipProtocol {
    public static let v11 = "/meshsub/1.1.0"
    public static let v10 = "/meshsub/1.0.0"
    public static let all = [v11, v10]
}
