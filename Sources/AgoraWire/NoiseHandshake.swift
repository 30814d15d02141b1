import Crypto
import Foundation

public enum NoiseRole: Sendable, Equatable {
    case initiator
    case responder
}

/// libp2p `/noise`: the `Noise_XX_25519_ChaChaPoly_SHA256` handshake with the libp2p
/// identity payload, as a pure machine over the raw byte stream (2-byte big-endian
/// length prefixes included). Feed it received bytes, send what it returns; when it
/// hands back a `NoiseSession` the peer is authenticated.
///
///     -> e
///     <- e, ee, s, es, payload(responder identity)
///     -> s, se, payload(initiator identity)
public struct NoiseHandshake: Sendable {
    public struct Configuration: Sendable {
        /// The libp2p identity that signs our Noise static key.
        public var identity: Curve25519.Signing.PrivateKey
        /// When dialing a known peer: the handshake fails unless the remote proves this identity.
        public var expectedRemotePeer: PeerID?
        /// Bounds one handshake message; the spec's maximum is 65535.
        public var maxMessageLength: Int
        /// Per-connection by default, as libp2p does; the static key only needs to be signed.
        public var staticKey: Curve25519.KeyAgreement.PrivateKey

        public init(
            identity: Curve25519.Signing.PrivateKey,
            expectedRemotePeer: PeerID? = nil,
            maxMessageLength: Int = NoiseSession.maxFrameLength,
            staticKey: Curve25519.KeyAgreement.PrivateKey = .init()
        ) {
            self.identity = identity
            self.expectedRemotePeer = expectedRemotePeer
            self.maxMessageLength = min(maxMessageLength, NoiseSession.maxFrameLength)
            self.staticKey = staticKey
        }
    }

    public struct Output: Sendable {
        public var send: [UInt8] = []
        /// Set when the handshake is complete and the remote authenticated.
        public var session: NoiseSession?
        /// Bytes after the final handshake message: the first transport frames.
        public var remaining: [UInt8] = []
    }

    static let signaturePrefix = Array("noise-libp2p-static-key:".utf8)
    private static let keyLength = 32

    private enum Step: Sendable {
        case initiatorStart
        case initiatorAwaitingResponse
        case responderAwaitingInitiation
        case responderAwaitingFinal
        case complete
    }

    public let role: NoiseRole
    private let configuration: Configuration
    private let ephemeralKey = Curve25519.KeyAgreement.PrivateKey()
    private var symmetric = NoiseSymmetricState()
    private var step: Step
    private var buffer: [UInt8] = []
    /// Our libp2p handshake payload; internal and mutable so tests can send forged ones.
    var localPayload: [UInt8]

    public init(role: NoiseRole, configuration: Configuration) {
        self.role = role
        self.configuration = configuration
        step = role == .initiator ? .initiatorStart : .responderAwaitingInitiation
        symmetric.mixHash([UInt8]())
        localPayload = Self.makePayload(identity: configuration.identity, staticKey: configuration.staticKey.publicKey)
    }

    public var isComplete: Bool {
        if case .complete = step { return true }
        return false
    }

    static func makePayload(identity: Curve25519.Signing.PrivateKey, staticKey: Curve25519.KeyAgreement.PublicKey) -> [UInt8] {
        let signature: [UInt8]
        do {
            signature = Array(try identity.signature(for: signaturePrefix + Array(staticKey.rawRepresentation)))
        } catch {
            preconditionFailure("ed25519 signing cannot fail: \(error)")
        }
        var payload = Noise_Pb_NoiseHandshakePayload()
        payload.identityKey = Data(Libp2pPublicKey.encode(identity.publicKey))
        payload.identitySig = Data(signature)
        return (try? BoundedProtobuf.encode(payload)) ?? []
    }

    /// The first message for an initiator; nothing for a responder, which speaks second.
    public mutating func start() throws(NoiseError) -> [UInt8] {
        guard case .initiatorStart = step else { return [] }
        let ephemeral = Array(ephemeralKey.publicKey.rawRepresentation)
        symmetric.mixHash(ephemeral)
        let payload = try symmetric.encryptAndHash([UInt8]())
        step = .initiatorAwaitingResponse
        return Self.frame(ephemeral + payload)
    }

    public mutating func receive<Bytes: Collection>(_ bytes: Bytes) throws(NoiseError) -> Output where Bytes.Element == UInt8 {
        guard !isComplete else { throw .handshakeAlreadyComplete }
        if case .initiatorStart = step { throw .malformedHandshakeMessage("received data before sending the first message") }
        buffer.append(contentsOf: bytes)
        var output = Output()
        while !isComplete, let message = try nextMessage() {
            try handle(message, into: &output)
        }
        if isComplete {
            output.remaining = buffer
            buffer = []
        }
        return output
    }

    private mutating func nextMessage() throws(NoiseError) -> [UInt8]? {
        guard buffer.count >= 2 else { return nil }
        let length = Int(buffer[0]) << 8 | Int(buffer[1])
        guard length <= configuration.maxMessageLength else {
            throw .messageTooLong(length: length, limit: configuration.maxMessageLength)
        }
        guard buffer.count >= 2 + length else { return nil }
        let message = Array(buffer[2..<(2 + length)])
        buffer.removeFirst(2 + length)
        return message
    }

    private mutating func handle(_ message: [UInt8], into output: inout Output) throws(NoiseError) {
        switch step {
        case .responderAwaitingInitiation:
            guard message.count >= Self.keyLength else { throw .malformedHandshakeMessage("first message shorter than a key") }
            let remote = try readEphemeral(message)
            _ = try symmetric.decryptAndHash(message[Self.keyLength...])
            // <- e, ee, s, es, payload
            let ephemeral = Array(ephemeralKey.publicKey.rawRepresentation)
            symmetric.mixHash(ephemeral)
            symmetric.mixKey(try Self.dh(ephemeralKey, remote))
            let encryptedStatic = try symmetric.encryptAndHash(configuration.staticKey.publicKey.rawRepresentation)
            symmetric.mixKey(try Self.dh(configuration.staticKey, remote))
            let payload = try symmetric.encryptAndHash(localPayload)
            output.send += Self.frame(ephemeral + encryptedStatic + payload)
            step = .responderAwaitingFinal

        case .initiatorAwaitingResponse:
            let minimum = Self.keyLength + Self.keyLength + 2 * NoiseCipherState.tagLength
            guard message.count >= minimum else { throw .malformedHandshakeMessage("second message too short") }
            let remote = try readEphemeral(message)
            symmetric.mixKey(try Self.dh(ephemeralKey, remote))
            let staticEnd = 2 * Self.keyLength + NoiseCipherState.tagLength
            let remoteStatic = try symmetric.decryptAndHash(message[Self.keyLength..<staticEnd])
            let remoteStaticKey = try Self.publicKey(remoteStatic)
            symmetric.mixKey(try Self.dh(ephemeralKey, remoteStaticKey))
            let payload = try symmetric.decryptAndHash(message[staticEnd...])
            let remotePeer = try verify(payload: payload, remoteStatic: remoteStatic)
            // -> s, se, payload
            let encryptedStatic = try symmetric.encryptAndHash(configuration.staticKey.publicKey.rawRepresentation)
            symmetric.mixKey(try Self.dh(configuration.staticKey, remote))
            let ownPayload = try symmetric.encryptAndHash(localPayload)
            output.send += Self.frame(encryptedStatic + ownPayload)
            let (sending, receiving) = symmetric.split()
            output.session = NoiseSession(remotePeer: remotePeer, remoteStaticKey: remoteStatic, sender: sending, receiver: receiving)
            step = .complete

        case .responderAwaitingFinal:
            let staticEnd = Self.keyLength + NoiseCipherState.tagLength
            guard message.count >= staticEnd + NoiseCipherState.tagLength else {
                throw .malformedHandshakeMessage("third message too short")
            }
            let remoteStatic = try symmetric.decryptAndHash(message[..<staticEnd])
            symmetric.mixKey(try Self.dh(ephemeralKey, try Self.publicKey(remoteStatic)))
            let payload = try symmetric.decryptAndHash(message[staticEnd...])
            let remotePeer = try verify(payload: payload, remoteStatic: remoteStatic)
            let (receiving, sending) = symmetric.split()
            output.session = NoiseSession(remotePeer: remotePeer, remoteStaticKey: remoteStatic, sender: sending, receiver: receiving)
            step = .complete

        case .initiatorStart, .complete:
            throw .malformedHandshakeMessage("unexpected message")
        }
    }

    private mutating func readEphemeral(_ message: [UInt8]) throws(NoiseError) -> Curve25519.KeyAgreement.PublicKey {
        let raw = Array(message[..<Self.keyLength])
        let key = try Self.publicKey(raw)
        symmetric.mixHash(raw)
        return key
    }

    /// Checks the remote's libp2p identity signed this Noise static key, and that it is who we dialed.
    private func verify(payload: [UInt8], remoteStatic: [UInt8]) throws(NoiseError) -> PeerID {
        let message: Noise_Pb_NoiseHandshakePayload
        do {
            message = try BoundedProtobuf.decode(Noise_Pb_NoiseHandshakePayload.self, from: payload, maxLength: NoiseSession.maxFrameLength)
        } catch {
            throw .malformedPayload(error.description)
        }
        guard message.hasIdentityKey else { throw .malformedPayload("missing identity_key") }
        guard message.hasIdentitySig else { throw .malformedPayload("missing identity_sig") }
        let identityKey = message.identityKey
        let signature = message.identitySig
        let key: Curve25519.Signing.PublicKey
        do {
            key = try Libp2pPublicKey.decode(identityKey)
        } catch {
            throw .malformedPayload(error.description)
        }
        guard key.isValidSignature(signature, for: Self.signaturePrefix + remoteStatic) else { throw .badSignature }
        let peer = PeerID(publicKey: key)
        if let expected = configuration.expectedRemotePeer, expected != peer {
            throw .peerIDMismatch(expected: expected, actual: peer)
        }
        return peer
    }

    private static func publicKey(_ raw: [UInt8]) throws(NoiseError) -> Curve25519.KeyAgreement.PublicKey {
        guard raw.count == keyLength, let key = try? Curve25519.KeyAgreement.PublicKey(rawRepresentation: raw) else {
            throw .invalidRemoteKey
        }
        return key
    }

    private static func dh(_ privateKey: Curve25519.KeyAgreement.PrivateKey, _ publicKey: Curve25519.KeyAgreement.PublicKey) throws(NoiseError) -> [UInt8] {
        // swift-crypto refuses low-order points, whose shared secret would be all zeros.
        guard let secret = try? privateKey.sharedSecretFromKeyAgreement(with: publicKey) else { throw .invalidRemoteKey }
        return secret.withUnsafeBytes { Array($0) }
    }

    static func frame(_ message: [UInt8]) -> [UInt8] {
        precondition(message.count <= NoiseSession.maxFrameLength, "noise messages are at most 65535 bytes")
        return [UInt8(message.count >> 8), UInt8(message.count & 0xff)] + message
    }
}
