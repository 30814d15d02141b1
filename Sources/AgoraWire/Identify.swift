import Crypto

/// The `/ipfs/id/1.0.0` message (and `/ipfs/id/push/1.0.0`, which carries the same
/// message unprompted). Every field is optional on the wire: a push may send only what
/// changed. Unknown fields, such as py-libp2p's signed peer record, are skipped.
public struct IdentifyMessage: Sendable, Equatable {
    /// Identify messages are small; this bounds what a peer can make us buffer.
    public static let maxEncodedLength = 64 * 1024
    /// Caps the lists so a hostile message cannot make them huge within the byte limit.
    public static let maxListEntries = 256

    public var protocolVersion: String?
    public var agentVersion: String?
    /// The libp2p `PublicKey` protobuf of the sender.
    public var publicKey: [UInt8]?
    /// Binary multiaddrs the sender listens on.
    public var listenAddrs: [[UInt8]] = []
    /// The binary multiaddr the sender sees us connecting from.
    public var observedAddr: [UInt8]?
    public var protocols: [String] = []

    public init(
        protocolVersion: String? = nil, agentVersion: String? = nil, publicKey: [UInt8]? = nil,
        listenAddrs: [[UInt8]] = [], observedAddr: [UInt8]? = nil, protocols: [String] = []
    ) {
        self.protocolVersion = protocolVersion
        self.agentVersion = agentVersion
        self.publicKey = publicKey
        self.listenAddrs = listenAddrs
        self.observedAddr = observedAddr
        self.protocols = protocols
    }

    enum Field {
        static let publicKey = 1
        static let listenAddrs = 2
        static let protocols = 3
        static let observedAddr = 4
        static let protocolVersion = 5
        static let agentVersion = 6
    }

    public func encoded() -> [UInt8] {
        var writer = ProtobufWriter()
        if let protocolVersion { writer.writeString(field: Field.protocolVersion, protocolVersion) }
        if let agentVersion { writer.writeString(field: Field.agentVersion, agentVersion) }
        if let publicKey { writer.writeBytes(field: Field.publicKey, publicKey) }
        for address in listenAddrs { writer.writeBytes(field: Field.listenAddrs, address) }
        if let observedAddr { writer.writeBytes(field: Field.observedAddr, observedAddr) }
        for name in protocols { writer.writeString(field: Field.protocols, name) }
        return writer.bytes
    }

    public init<Bytes: Collection>(decoding bytes: Bytes) throws(IdentifyError) where Bytes.Element == UInt8 {
        self.init()
        do {
            let limits = ProtobufReader.Limits(maxMessageLength: Self.maxEncodedLength, maxFieldLength: Self.maxEncodedLength)
            var reader = try ProtobufReader(bytes, limits: limits)
            while let field = try reader.next() {
                switch field.number {
                case Field.publicKey: publicKey = try field.bytes()
                case Field.listenAddrs:
                    guard listenAddrs.count < Self.maxListEntries else { throw IdentifyError.tooManyEntries("listenAddrs") }
                    listenAddrs.append(try field.bytes())
                case Field.protocols:
                    guard protocols.count < Self.maxListEntries else { throw IdentifyError.tooManyEntries("protocols") }
                    protocols.append(try field.string())
                case Field.observedAddr: observedAddr = try field.bytes()
                case Field.protocolVersion: protocolVersion = try field.string()
                case Field.agentVersion: agentVersion = try field.string()
                default: continue
                }
            }
        } catch let error as IdentifyError {
            throw error
        } catch let error as ProtobufError {
            throw .malformed(error.description)
        } catch {
            throw .malformed("\(error)")
        }
    }
}

public enum IdentifyError: Error, Equatable, Sendable, CustomStringConvertible {
    case malformed(String)
    case tooManyEntries(String)
    case missingPublicKey
    case publicKeyMismatch(expected: PeerID, got: PeerID)
    case emptyResponse

    public var description: String {
        switch self {
        case .malformed(let why): return "identify: malformed message: \(why)"
        case .tooManyEntries(let field): return "identify: more than \(IdentifyMessage.maxListEntries) \(field)"
        case .missingPublicKey: return "identify: no public key"
        case .publicKeyMismatch(let expected, let got): return "identify: key of \(got) sent on the connection of \(expected)"
        case .emptyResponse: return "identify: the peer closed the stream without a message"
        }
    }
}

/// What a peer told us about itself, checked against the connection it came on.
public struct PeerInfo: Sendable, Equatable {
    public var peer: PeerID
    public var protocolVersion: String?
    public var agentVersion: String?
    public var listenAddrs: [Multiaddr]
    /// How the peer sees us; unparseable addresses are dropped.
    public var observedAddr: Multiaddr?
    public var protocols: [String]

    /// Validates `message` as coming from `peer` (over an authenticated connection).
    public init(message: IdentifyMessage, from peer: PeerID) throws(IdentifyError) {
        guard let key = message.publicKey else { throw .missingPublicKey }
        let claimed: PeerID
        do {
            claimed = PeerID(publicKey: try Libp2pPublicKey.decode(key))
        } catch {
            throw .malformed(error.description)
        }
        guard claimed == peer else { throw .publicKeyMismatch(expected: peer, got: claimed) }
        self.peer = peer
        protocolVersion = message.protocolVersion
        agentVersion = message.agentVersion
        listenAddrs = message.listenAddrs.compactMap { try? Multiaddr(bytes: $0) }
        observedAddr = message.observedAddr.flatMap { try? Multiaddr(bytes: $0) }
        protocols = message.protocols
    }

    /// Applies a push: fields the push carries replace ours, the rest stay.
    public mutating func merge(push message: IdentifyMessage) {
        if let value = message.protocolVersion { protocolVersion = value }
        if let value = message.agentVersion { agentVersion = value }
        if !message.listenAddrs.isEmpty { listenAddrs = message.listenAddrs.compactMap { try? Multiaddr(bytes: $0) } }
        if let value = message.observedAddr { observedAddr = try? Multiaddr(bytes: value) }
        if !message.protocols.isEmpty { protocols = message.protocols }
    }
}
