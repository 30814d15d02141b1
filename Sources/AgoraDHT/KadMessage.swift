import AgoraWire

/// One `/ipfs/kad/1.0.0` message (libp2p kad-dht `Message`), as our code uses it. The codec
/// is hand-written over the wire module's bounded protobuf reader: six fields and two small
/// nested messages, decoded with explicit limits on every list, skipping unknown fields
/// (py-libp2p adds fields 11 and Peer 4, Record 3 and 4).
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
    case protobuf(ProtobufError)
    case unknownType(UInt64)
    case tooLong(what: String, count: Int, limit: Int)

    public var description: String {
        switch self {
        case .protobuf(let error): return "kad message: \(error)"
        case .unknownType(let type): return "kad message: unknown type \(type)"
        case .tooLong(let what, let count, let limit): return "kad message: \(what) has \(count) entries or bytes, limit \(limit)"
        }
    }
}

extension KadMessage {
    public func encoded() -> [UInt8] {
        var writer = ProtobufWriter()
        writer.writeVarint(field: 1, type.rawValue)
        if !key.isEmpty { writer.writeBytes(field: 2, key) }
        if let record {
            writer.writeMessage(field: 3) { nested in
                nested.writeBytes(field: 1, record.key)
                nested.writeBytes(field: 2, record.value)
                if !record.timeReceived.isEmpty { nested.writeString(field: 5, record.timeReceived) }
            }
        }
        for peer in closerPeers { writer.writeMessage(field: 8) { peer.write(to: &$0) } }
        for peer in providerPeers { writer.writeMessage(field: 9) { peer.write(to: &$0) } }
        return writer.bytes
    }

    public init(decoding bytes: [UInt8], limits: KadLimits = KadLimits()) throws(KadMessageError) {
        let readerLimits = ProtobufReader.Limits(maxMessageLength: limits.maxFrameLength, maxFieldLength: limits.maxFrameLength)
        var type: UInt64 = 0
        var key: [UInt8] = []
        var record: Record?
        var closer: [Peer] = []
        var providers: [Peer] = []
        do {
            var reader = try ProtobufReader(bytes, limits: readerLimits)
            while let field = try reader.next() {
                switch field.number {
                case 1: type = try field.uint64()
                case 2: key = try Self.bounded(field.bytes(), "key", limits.maxKeyLength)
                case 3: record = try Record(reading: field.message(), limits: limits)
                case 8:
                    guard closer.count < limits.maxPeersPerList else { throw KadMessageError.tooLong(what: "closerPeers", count: closer.count + 1, limit: limits.maxPeersPerList) }
                    closer.append(try Peer(reading: field.message(), limits: limits))
                case 9:
                    guard providers.count < limits.maxPeersPerList else { throw KadMessageError.tooLong(what: "providerPeers", count: providers.count + 1, limit: limits.maxPeersPerList) }
                    providers.append(try Peer(reading: field.message(), limits: limits))
                default: continue
                }
            }
        } catch let error as ProtobufError {
            throw .protobuf(error)
        } catch let error as KadMessageError {
            throw error
        } catch {
            throw .protobuf(.truncated)
        }
        guard let messageType = MessageType(rawValue: type) else { throw .unknownType(type) }
        self.init(type: messageType, key: key, record: record, closerPeers: closer, providerPeers: providers)
    }

    static func bounded(_ bytes: [UInt8], _ what: String, _ limit: Int) throws(KadMessageError) -> [UInt8] {
        guard bytes.count <= limit else { throw .tooLong(what: what, count: bytes.count, limit: limit) }
        return bytes
    }
}

extension KadMessage.Peer {
    func write(to writer: inout ProtobufWriter) {
        writer.writeBytes(field: 1, id)
        for address in addresses { writer.writeBytes(field: 2, address) }
        if connection != .notConnected { writer.writeVarint(field: 3, connection.rawValue) }
    }

    init(reading reader: ProtobufReader, limits: KadLimits) throws {
        var reader = reader
        var id: [UInt8] = []
        var addresses: [[UInt8]] = []
        var connection = KadMessage.Connection.notConnected
        while let field = try reader.next() {
            switch field.number {
            case 1: id = try KadMessage.bounded(field.bytes(), "peer id", limits.maxKeyLength)
            case 2:
                guard addresses.count < limits.maxAddressesPerPeer else {
                    throw KadMessageError.tooLong(what: "peer addresses", count: addresses.count + 1, limit: limits.maxAddressesPerPeer)
                }
                addresses.append(try KadMessage.bounded(field.bytes(), "address", limits.maxAddressLength))
            // An unknown connection type is treated as "not connected": it is advisory.
            case 3: connection = KadMessage.Connection(rawValue: try field.uint64()) ?? .notConnected
            default: continue
            }
        }
        self.init(id: id, addresses: addresses, connection: connection)
    }
}

extension KadMessage.Record {
    init(reading reader: ProtobufReader, limits: KadLimits) throws {
        var reader = reader
        var key: [UInt8] = []
        var value: [UInt8] = []
        var time = ""
        while let field = try reader.next() {
            switch field.number {
            case 1: key = try KadMessage.bounded(field.bytes(), "record key", limits.maxKeyLength)
            case 2: value = try KadMessage.bounded(field.bytes(), "record value", limits.maxValueLength)
            case 5:
                time = try field.string()
                guard time.utf8.count <= 64 else { throw KadMessageError.tooLong(what: "timeReceived", count: time.utf8.count, limit: 64) }
            default: continue
            }
        }
        self.init(key: key, value: value, timeReceived: time)
    }
}
