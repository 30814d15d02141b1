import AgoraWire

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
    case protobuf(ProtobufError)
    case tooMany(String, limit: Int)
    case tooLong(String, length: Int, limit: Int)
    case missingTopic

    public var description: String {
        switch self {
        case .protobuf(let error): return "gossip rpc: \(error)"
        case .tooMany(let what, let limit): return "gossip rpc: more than \(limit) \(what)"
        case .tooLong(let what, let length, let limit): return "gossip rpc: \(what) of \(length) bytes exceeds \(limit)"
        case .missingTopic: return "gossip rpc: message without a topic"
        }
    }
}

/// libp2p's pubsub `rpc.proto` (RPC, SubOpts, Message, ControlMessage, ControlIHave,
/// ControlIWant, ControlGraft, ControlPrune). Field numbers follow the spec; unknown fields
/// (py-libp2p adds some, and v1.2's IDONTWANT) are skipped.
public enum GossipRPCCodec {
    public static func encode(_ rpc: GossipRPC) -> [UInt8] {
        var writer = ProtobufWriter()
        for subscription in rpc.subscriptions {
            writer.writeMessage(field: 1) { sub in
                sub.writeBool(field: 1, subscription.subscribe)
                sub.writeString(field: 2, subscription.topic)
            }
        }
        for message in rpc.messages {
            writer.writeBytes(field: 2, encode(message))
        }
        if !rpc.control.isEmpty {
            writer.writeMessage(field: 3) { control in encode(rpc.control, into: &control) }
        }
        return writer.bytes
    }

    /// The message's fields 1–6; without signature and key it is exactly what the
    /// author signs (fields in ascending order, as every libp2p implementation writes them).
    public static func encode(_ message: GossipMessage, signed: Bool = true) -> [UInt8] {
        var writer = ProtobufWriter()
        if !message.from.isEmpty { writer.writeBytes(field: 1, message.from) }
        writer.writeBytes(field: 2, message.data)
        if !message.seqno.isEmpty { writer.writeBytes(field: 3, message.seqno) }
        writer.writeString(field: 4, message.topic)
        if signed {
            if !message.signature.isEmpty { writer.writeBytes(field: 5, message.signature) }
            if !message.key.isEmpty { writer.writeBytes(field: 6, message.key) }
        }
        return writer.bytes
    }

    private static func encode(_ control: GossipControl, into writer: inout ProtobufWriter) {
        for ihave in control.ihave {
            writer.writeMessage(field: 1) { entry in
                entry.writeString(field: 1, ihave.topic)
                for id in ihave.messageIDs { entry.writeBytes(field: 2, id.bytes) }
            }
        }
        if !control.iwant.isEmpty {
            writer.writeMessage(field: 2) { entry in
                for id in control.iwant { entry.writeBytes(field: 1, id.bytes) }
            }
        }
        for topic in control.graft {
            writer.writeMessage(field: 3) { entry in entry.writeString(field: 1, topic) }
        }
        for prune in control.prune {
            writer.writeMessage(field: 4) { entry in
                entry.writeString(field: 1, prune.topic)
                if let backoff = prune.backoff { entry.writeVarint(field: 3, backoff) }
            }
        }
    }

    public static func decode(_ bytes: [UInt8], limits: GossipRPCLimits = GossipRPCLimits()) throws(GossipRPCError) -> GossipRPC {
        guard bytes.count <= limits.maxFrameLength else {
            throw .tooLong("rpc", length: bytes.count, limit: limits.maxFrameLength)
        }
        do {
            var decoder = Decoder(limits: limits)
            return try decoder.rpc(bytes)
        } catch let error as GossipRPCError {
            throw error
        } catch let error as ProtobufError {
            throw .protobuf(error)
        } catch {
            throw .protobuf(.truncated)
        }
    }

    /// Counts what one RPC has used of its limits while it is decoded.
    private struct Decoder {
        let limits: GossipRPCLimits
        var controlEntries = 0
        var ihaveIDs = 0

        init(limits: GossipRPCLimits) {
            self.limits = limits
        }

        var readerLimits: ProtobufReader.Limits {
            ProtobufReader.Limits(maxMessageLength: limits.maxFrameLength, maxFieldLength: limits.maxFrameLength)
        }

        mutating func rpc(_ bytes: [UInt8]) throws -> GossipRPC {
            var reader = try ProtobufReader(bytes, limits: readerLimits)
            var rpc = GossipRPC()
            while let field = try reader.next() {
                switch field.number {
                case 1:
                    guard rpc.subscriptions.count < limits.maxSubscriptions else {
                        throw GossipRPCError.tooMany("subscriptions", limit: limits.maxSubscriptions)
                    }
                    rpc.subscriptions.append(try subscription(field.message()))
                case 2:
                    guard rpc.messages.count < limits.maxMessages else {
                        throw GossipRPCError.tooMany("messages", limit: limits.maxMessages)
                    }
                    rpc.messages.append(try message(field.message()))
                case 3:
                    try control(field.message(), into: &rpc.control)
                default:
                    continue
                }
            }
            return rpc
        }

        func topic(_ field: ProtobufField) throws -> String {
            let text = try field.string()
            guard text.utf8.count <= limits.maxTopicLength else {
                throw GossipRPCError.tooLong("topic", length: text.utf8.count, limit: limits.maxTopicLength)
            }
            return text
        }

        func messageID(_ field: ProtobufField) throws -> GossipMessageID {
            let bytes = try field.bytes()
            guard bytes.count <= limits.maxMessageIDLength else {
                throw GossipRPCError.tooLong("message id", length: bytes.count, limit: limits.maxMessageIDLength)
            }
            return GossipMessageID(bytes)
        }

        func subscription(_ reader: ProtobufReader) throws -> GossipSubscription {
            var reader = reader
            var result = GossipSubscription(subscribe: false, topic: "")
            while let field = try reader.next() {
                switch field.number {
                case 1: result.subscribe = try field.bool()
                case 2: result.topic = try topic(field)
                default: continue
                }
            }
            return result
        }

        func message(_ reader: ProtobufReader) throws -> GossipMessage {
            var reader = reader
            var result = GossipMessage(from: [], data: [], seqno: [], topic: "")
            var topics = 0
            while let field = try reader.next() {
                switch field.number {
                case 1: result.from = try field.bytes()
                case 2: result.data = try field.bytes()
                case 3: result.seqno = try field.bytes()
                case 4:
                    // v1.0 allowed several topics; one is all we route on.
                    topics += 1
                    if topics == 1 { result.topic = try topic(field) }
                case 5: result.signature = try field.bytes()
                case 6: result.key = try field.bytes()
                default: continue
                }
            }
            guard topics == 1 else { throw GossipRPCError.missingTopic }
            return result
        }

        mutating func countControl() throws {
            controlEntries += 1
            guard controlEntries <= limits.maxControlEntries else {
                throw GossipRPCError.tooMany("control entries", limit: limits.maxControlEntries)
            }
        }

        mutating func control(_ reader: ProtobufReader, into control: inout GossipControl) throws {
            var reader = reader
            while let field = try reader.next() {
                switch field.number {
                case 1:
                    try countControl()
                    var entry = try field.message()
                    var ihave = GossipIHave(topic: "", messageIDs: [])
                    while let inner = try entry.next() {
                        switch inner.number {
                        case 1: ihave.topic = try topic(inner)
                        case 2:
                            ihaveIDs += 1
                            guard ihaveIDs <= limits.maxMessageIDs else {
                                throw GossipRPCError.tooMany("IHAVE message ids", limit: limits.maxMessageIDs)
                            }
                            ihave.messageIDs.append(try messageID(inner))
                        default: continue
                        }
                    }
                    control.ihave.append(ihave)
                case 2:
                    try countControl()
                    var entry = try field.message()
                    while let inner = try entry.next() {
                        guard inner.number == 1 else { continue }
                        guard control.iwant.count < limits.maxMessageIDs else {
                            throw GossipRPCError.tooMany("IWANT message ids", limit: limits.maxMessageIDs)
                        }
                        control.iwant.append(try messageID(inner))
                    }
                case 3:
                    try countControl()
                    var entry = try field.message()
                    var name = ""
                    while let inner = try entry.next() {
                        if inner.number == 1 { name = try topic(inner) }
                    }
                    control.graft.append(name)
                case 4:
                    try countControl()
                    var entry = try field.message()
                    var prune = GossipPrune(topic: "", backoff: nil)
                    while let inner = try entry.next() {
                        switch inner.number {
                        case 1: prune.topic = try topic(inner)
                        case 3: prune.backoff = try inner.uint64()
                        default: continue
                        }
                    }
                    control.prune.append(prune)
                default:
                    continue
                }
            }
        }
    }
}
