import AgoraWire
import Foundation

/// One `/ipfs/kad/1.0.0` message (libp2p kad-dht `Message`), as our code uses it; the wire
/// form is the generated `Dht_Pb_Message` (`Proto/kad.proto`), decoded through
/// `BoundedProtobuf` with explicit limits on every list, unknown fields skipped (py-libp2p
/// adds Message 11, Peer 4, Record 3 and 4).
public struct KadMessage: Equatable, Sendable {
    public enum MessageType: UInt64, Sendable, CaseIterable {
        case putValue = 0
        case getValue = 1
        case addProvider = 2
        case getProviders = 3
        case findNode = 4
        case ping = 5
    }

    public enum Connection: UInt64, Sendable {
        case notConnected = 0
        case connected = 1
        case canConnect = 2
        case cannotConnect = 3
    }

    public struct Peer: Equatable, Sendable {
        /// The peer ID's bytes (a multihash).
        public var id: [UInt8]
        /// Multiaddrs in binary form.
        public var addresses: [[UInt8]]
        public var connection: Connection

        public init(id: [UInt8], addresses: [[UInt8]] = [], connection: Connection = .notConnected) {
            self.id = id
            self.addresses = addresses
            self.connection = connection
        }
    }

    public struct Record: Equatable, Sendable {
        public var key: [UInt8]
        public var value: [UInt8]
        public var timeReceived: String

        public init(key: [UInt8], value: [UInt8], timeReceived: String = "") {
            self.key = key
            self.value = value
            self.timeReceived = timeReceived
        }
    }

    public var type: MessageType
    public var key: [UInt8]
    public var record: Record?
    public var closerPeers: [Peer]
    public var providerPeers: [Peer]

    public init(type: MessageType, key: [UInt8] = [], record: Record? = nil, closerPeers: [Peer] = [], providerPeers: [Peer] = []) {
        self.type = type
        self.key = key
        self.record = record
        self.closerPeers = closerPeers
        self.providerPeers = providerPeers
    }
}

/// Bounds on what a decoded message may hold; frames above `maxFrameLength` are refused by
/// the shell before any byte of them is read.
public struct KadLimits: Sendable, Equatable {
    public var maxFrameLength: Int
    public var maxKeyLength: Int
    public var maxValueLength: Int
    public var maxPeersPerList: Int
    public var maxAddressesPerPeer: Int
    public var maxAddressLength: Int

    public init(
        maxFrameLength: Int = 256 << 10, maxKeyLength: Int = 512, maxValueLength: Int = 16 << 10,
        maxPeersPerList: Int = 64, maxAddressesPerPeer: Int = 16, maxAddressLength: Int = 256
    ) {
        self.maxFrameLength = maxFrameLength
        self.maxKeyLength = maxKeyLength
        self.maxValueLength = maxValueLength
        self.maxPeersPerList = maxPeersPerList
        self.maxAddressesPerPeer = maxAddressesPerPeer
        self.maxAddressLength = maxAddressLength
    }
}

public enum KadMessageError: Error, Equatable, Sendable, CustomStringConvertible {
    case malformed(String)
    case unknownType(Int)
    case tooLong(what: String, count: Int, limit: Int)

    public var description: String {
        switch self {
        case .malformed(let why): return "kad message: \(why)"
        case .unknownType(let type): return "kad message: unknown type \(type)"
        case .tooLong(let what, let count, let limit): return "kad message: \(what) has \(count) entries or bytes, limit \(limit)"
        }
    }
}

extension KadMessage {
    public func encoded() -> [UInt8] {
        var message = Dht_Pb_Message()
        message.type = Dht_Pb_Message.MessageType(rawValue: Int(type.rawValue)) ?? .putValue
        message.key = Data(key)
        if let record {
            var wire = Dht_Pb_Record()
            wire.key = Data(record.key)
            wire.value = Data(record.value)
            wire.timeReceived = record.timeReceived
            message.record = wire
        }
        message.closerPeers = closerPeers.map(\.wire)
        message.providerPeers = providerPeers.map(\.wire)
        // Only a message without required fields can fail to encode, and kad has none.
        return (try? BoundedProtobuf.encode(message)) ?? []
    }

    /// Decodes one frame; the frame length is checked before swift-protobuf sees it, every
    /// list and byte string after.
    public init(decoding bytes: [UInt8], limits: KadLimits = KadLimits()) throws(KadMessageError) {
        let message: Dht_Pb_Message
        do {
            message = try BoundedProtobuf.decode(Dht_Pb_Message.self, from: bytes, maxLength: limits.maxFrameLength)
        } catch {
            if case .tooLong(let length, let limit) = error { throw .tooLong(what: "frame", count: length, limit: limit) }
            throw .malformed(error.description)
        }
        guard let type = MessageType(rawValue: UInt64(clamping: max(0, message.type.rawValue))), message.type.rawValue >= 0 else {
            throw .unknownType(message.type.rawValue)
        }
        try Self.check(message.key.count, "key", limits.maxKeyLength)
        try Self.check(message.closerPeers.count, "closerPeers", limits.maxPeersPerList)
        try Self.check(message.providerPeers.count, "providerPeers", limits.maxPeersPerList)
        var record: Record?
        if message.hasRecord {
            try Self.check(message.record.key.count, "record key", limits.maxKeyLength)
            try Self.check(message.record.value.count, "record value", limits.maxValueLength)
            try Self.check(message.record.timeReceived.utf8.count, "timeReceived", 64)
            record = Record(key: Array(message.record.key), value: Array(message.record.value), timeReceived: message.record.timeReceived)
        }
        self.init(
            type: type, key: Array(message.key), record: record,
            closerPeers: try message.closerPeers.map { peer throws(KadMessageError) in try Peer(wire: peer, limits: limits) },
            providerPeers: try message.providerPeers.map { peer throws(KadMessageError) in try Peer(wire: peer, limits: limits) }
        )
    }

    static func check(_ count: Int, _ what: String, _ limit: Int) throws(KadMessageError) {
        guard count <= limit else { throw .tooLong(what: what, count: count, limit: limit) }
    }
}

extension KadMessage.Peer {
    var wire: Dht_Pb_Message.Peer {
        var peer = Dht_Pb_Message.Peer()
        peer.id = Data(id)
        peer.addrs = addresses.map { Data($0) }
        peer.connection = Dht_Pb_Message.ConnectionType(rawValue: Int(connection.rawValue)) ?? .notConnected
        return peer
    }

    init(wire: Dht_Pb_Message.Peer, limits: KadLimits) throws(KadMessageError) {
        try KadMessage.check(wire.id.count, "peer id", limits.maxKeyLength)
        try KadMessage.check(wire.addrs.count, "peer addresses", limits.maxAddressesPerPeer)
        for address in wire.addrs { try KadMessage.check(address.count, "address", limits.maxAddressLength) }
        // An unknown connection type is treated as "not connected": it is advisory.
        let connection = KadMessage.Connection(rawValue: UInt64(clamping: max(0, wire.connection.rawValue))) ?? .notConnected
        self.init(id: Array(wire.id), addresses: wire.addrs.map { Array($0) }, connection: connection)
    }
}
