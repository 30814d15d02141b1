import Crypto
import Foundation

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

    /// Identify messages we build hold only valid UTF-8 strings and no required fields, so
    /// encoding cannot fail.
    public func encoded() -> [UInt8] {
        var message = Identify_Pb_Identify()
        if let protocolVersion { message.protocolVersion = protocolVersion }
        if let agentVersion { message.agentVersion = agentVersion }
        if let publicKey { message.publicKey = Data(publicKey) }
        message.listenAddrs = listenAddrs.map { Data($0) }
        if let observedAddr { message.observedAddr = Data(observedAddr) }
        message.protocols = protocols
        return (try? BoundedProtobuf.encode(message)) ?? []
    }

    public init<Bytes: Collection>(decoding bytes: Bytes) throws(IdentifyError) where Bytes.Element == UInt8 {
        let message: Identify_Pb_Identify
        do {
            message = try BoundedProtobuf.decode(Identify_Pb_Identify.self, from: bytes, maxLength: Self.maxEncodedLength)
        } catch {
            throw .malformed(error.description)
        }
        guard message.listenAddrs.count <= Self.maxListEntries else { throw .tooManyEntries("listenAddrs") }
        guard message.protocols.count <= Self.maxListEntries else { throw .tooManyEntries("protocols") }
        self.init(
            protocolVersion: message.hasProtocolVersion ? message.protocolVersion : nil,
            agentVersion: message.hasAgentVersion ? message.agentVersion : nil,
            publicKey: message.hasPublicKey ? Array(message.publicKey) : nil,
            listenAddrs: message.listenAddrs.map { Array($0) },
            observedAddr: message.hasObservedAddr ? Array(message.observedAddr) : nil,
            protocols: message.protocols
        )
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
