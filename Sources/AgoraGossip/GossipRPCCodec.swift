import AgoraWire
import Foundation

/// Bounds on one decoded RPC, beyond the frame length the shell checks first, so the
/// router's work per frame is bounded by counts as well as by bytes.
public struct GossipRPCLimits: Sendable, Equatable {
    public var maxFrameLength: Int
    public var maxSubscriptions: Int
    public var maxMessages: Int
    public var maxControlEntries: Int
    /// Across every IHAVE (or the IWANT) of one RPC.
    public var maxMessageIDs: Int
    public var maxTopicLength: Int
    public var maxMessageIDLength: Int

    public init(
        maxFrameLength: Int = 1 << 20, maxSubscriptions: Int = 1024, maxMessages: Int = 1024,
        maxControlEntries: Int = 1024, maxMessageIDs: Int = 5000, maxTopicLength: Int = 256, maxMessageIDLength: Int = 128
    ) {
        self.maxFrameLength = maxFrameLength
        self.maxSubscriptions = maxSubscriptions
        self.maxMessages = maxMessages
        self.maxControlEntries = maxControlEntries
        self.maxMessageIDs = maxMessageIDs
        self.maxTopicLength = maxTopicLength
        self.maxMessageIDLength = maxMessageIDLength
    }
}

public enum GossipRPCError: Error, Equatable, Sendable, CustomStringConvertible {
    case malformed(String)
    case tooMany(String, limit: Int)
    case tooLong(String, length: Int, limit: Int)
    case missingTopic

    public var description: String {
        switch self {
        case .malformed(let why): return "gossip rpc: \(why)"
        case .tooMany(let what, let limit): return "gossip rpc: more than \(limit) \(what)"
        case .tooLong(let what, let length, let limit): return "gossip rpc: \(what) of \(length) bytes exceeds \(limit)"
        case .missingTopic: return "gossip rpc: message without exactly one topic"
        }
    }
}

/// libp2p's pubsub `rpc.proto` (Proto/rpc.proto, generated with swift-protobuf) to and from
/// the router's value types. Decoding checks the frame length first, then every count and
/// length the router relies on; unknown fields (py-libp2p adds some, v1.2 adds IDONTWANT)
/// are dropped, and peer-exchange records in PRUNE are ignored.
public enum GossipRPCCodec {
    public static func encode(_ rpc: GossipRPC) -> [UInt8] {
        var wire = Pubsub_Pb_RPC()
        wire.subscriptions = rpc.subscriptions.map { subscription in
            var sub = Pubsub_Pb_RPC.SubOpts()
            sub.subscribe = subscription.subscribe
            sub.topicid = subscription.topic
            return sub
        }
        wire.publish = rpc.messages.map { wireMessage($0, signed: true) }
        if !rpc.control.isEmpty {
            var control = Pubsub_Pb_ControlMessage()
            control.ihave = rpc.control.ihave.map { entry in
                var ihave = Pubsub_Pb_ControlIHave()
                ihave.topicID = entry.topic
                ihave.messageIds = entry.messageIDs.map { Data($0.bytes) }
                return ihave
            }
            if !rpc.control.iwant.isEmpty {
                var iwant = Pubsub_Pb_ControlIWant()
                iwant.messageIds = rpc.control.iwant.map { Data($0.bytes) }
                control.iwant = [iwant]
            }
            control.graft = rpc.control.graft.map { topic in
                var graft = Pubsub_Pb_ControlGraft()
                graft.topicID = topic
                return graft
            }
            control.prune = rpc.control.prune.map { entry in
                var prune = Pubsub_Pb_ControlPrune()
                prune.topicID = entry.topic
                if let backoff = entry.backoff { prune.backoff = backoff }
                return prune
            }
            wire.control = control
        }
        return (try? BoundedProtobuf.encode(wire)) ?? []
    }

    /// The message's fields 1–6; without signature and key it is exactly what the author
    /// signs (swift-protobuf writes fields in ascending order, as every libp2p implementation does).
    public static func encode(_ message: GossipMessage, signed: Bool = true) -> [UInt8] {
        (try? BoundedProtobuf.encode(wireMessage(message, signed: signed))) ?? []
    }

    private static func wireMessage(_ message: GossipMessage, signed: Bool) -> Pubsub_Pb_Message {
        var wire = Pubsub_Pb_Message()
        if !message.from.isEmpty { wire.from = Data(message.from) }
        wire.data = Data(message.data)
        if !message.seqno.isEmpty { wire.seqno = Data(message.seqno) }
        wire.topicIds = [message.topic]
        if signed {
            if !message.signature.isEmpty { wire.signature = Data(message.signature) }
            if !message.key.isEmpty { wire.key = Data(message.key) }
        }
        return wire
    }

    public static func decode(_ bytes: [UInt8], limits: GossipRPCLimits = GossipRPCLimits()) throws(GossipRPCError) -> GossipRPC {
        let wire: Pubsub_Pb_RPC
        do {
            wire = try BoundedProtobuf.decode(Pubsub_Pb_RPC.self, from: bytes, maxLength: limits.maxFrameLength)
        } catch {
            if case .tooLong(let length, let limit) = error { throw .tooLong("rpc", length: length, limit: limit) }
            throw .malformed("\(error)")
        }
        var rpc = GossipRPC()
        guard wire.subscriptions.count <= limits.maxSubscriptions else {
            throw .tooMany("subscriptions", limit: limits.maxSubscriptions)
        }
        guard wire.publish.count <= limits.maxMessages else { throw .tooMany("messages", limit: limits.maxMessages) }
        for sub in wire.subscriptions {
            rpc.subscriptions.append(GossipSubscription(subscribe: sub.subscribe, topic: try topic(sub.topicid, limits)))
        }
        for message in wire.publish {
            guard message.topicIds.count == 1 else { throw .missingTopic }
            rpc.messages.append(GossipMessage(
                from: [UInt8](message.from), data: [UInt8](message.data), seqno: [UInt8](message.seqno),
                topic: try topic(message.topicIds[0], limits), signature: [UInt8](message.signature), key: [UInt8](message.key)))
        }
        guard wire.hasControl else { return rpc }
        let control = wire.control
        let entries = control.ihave.count + control.iwant.count + control.graft.count + control.prune.count
        guard entries <= limits.maxControlEntries else { throw .tooMany("control entries", limit: limits.maxControlEntries) }
        let ihaveIDs = control.ihave.reduce(0) { $0 + $1.messageIds.count }
        guard ihaveIDs <= limits.maxMessageIDs else { throw .tooMany("IHAVE message ids", limit: limits.maxMessageIDs) }
        let iwantIDs = control.iwant.reduce(0) { $0 + $1.messageIds.count }
        guard iwantIDs <= limits.maxMessageIDs else { throw .tooMany("IWANT message ids", limit: limits.maxMessageIDs) }
        for ihave in control.ihave {
            var entry = GossipIHave(topic: try topic(ihave.topicID, limits), messageIDs: [])
            for id in ihave.messageIds { entry.messageIDs.append(try messageID(id, limits)) }
            rpc.control.ihave.append(entry)
        }
        for iwant in control.iwant {
            for id in iwant.messageIds { rpc.control.iwant.append(try messageID(id, limits)) }
        }
        for graft in control.graft { rpc.control.graft.append(try topic(graft.topicID, limits)) }
        for prune in control.prune {
            rpc.control.prune.append(GossipPrune(topic: try topic(prune.topicID, limits), backoff: prune.hasBackoff ? prune.backoff : nil))
        }
        return rpc
    }

    private static func topic(_ text: String, _ limits: GossipRPCLimits) throws(GossipRPCError) -> String {
        guard text.utf8.count <= limits.maxTopicLength else {
            throw .tooLong("topic", length: text.utf8.count, limit: limits.maxTopicLength)
        }
        return text
    }

    private static func messageID(_ data: Data, _ limits: GossipRPCLimits) throws(GossipRPCError) -> GossipMessageID {
        guard data.count <= limits.maxMessageIDLength else {
            throw .tooLong("message id", length: data.count, limit: limits.maxMessageIDLength)
        }
        return GossipMessageID([UInt8](data))
    }
}
