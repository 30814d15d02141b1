public enum NoiseError: Error, Equatable, Sendable, CustomStringConvertible {
    case messageTooLong(length: Int, limit: Int)
    case malformedHandshakeMessage(String)
    case decryptionFailed
    case nonceExhausted
    case invalidRemoteKey
    case malformedPayload(String)
    case badSignature
    case peerIDMismatch(expected: PeerID, actual: PeerID)
    case frameTooLarge(length: Int, limit: Int)
    case frameTooShort(length: Int)
    case handshakeNotComplete
    case handshakeAlreadyComplete

    public var description: String {
        switch self {
        case .messageTooLong(let length, let limit): return "noise: handshake message of \(length) bytes exceeds the limit of \(limit)"
        case .malformedHandshakeMessage(let why): return "noise: malformed handshake message: \(why)"
        case .decryptionFailed: return "noise: decryption failed (tampered, replayed or reordered data)"
        case .nonceExhausted: return "noise: nonce exhausted; the session must be re-established"
        case .invalidRemoteKey: return "noise: remote sent an invalid X25519 key"
        case .malformedPayload(let why): return "noise: malformed libp2p handshake payload: \(why)"
        case .badSignature: return "noise: remote's identity signature over its static key is invalid"
        case .peerIDMismatch(let expected, let actual): return "noise: expected peer \(expected) but remote is \(actual)"
        case .frameTooLarge(let length, let limit): return "noise: frame of \(length) bytes exceeds the limit of \(limit)"
        case .frameTooShort(let length): return "noise: frame of \(length) bytes is shorter than an authentication tag"
        case .handshakeNotComplete: return "noise: handshake not complete"
        case .handshakeAlreadyComplete: return "noise: handshake already complete"
        }
    }
}
