import AgoraCore

/// Why a sync session ended badly. Every case names what the peer did, so the node can log
/// it once and cut that peer off without touching anything else.
public enum SyncError: Error, Equatable, Sendable, CustomStringConvertible {
    case malformed(String)
    case frameTooLong(length: Int, limit: Int)
    /// A reply that does not answer the oldest open request, or more requests than allowed.
    case protocolViolation(String)
    /// A head or event whose signature does not verify: the peer forged or altered it.
    case forgedEvent(author: PublicKey, seq: UInt64)
    /// The peer answered a request with an error message.
    case remote(String)

    /// The peer broke the protocol (as opposed to reporting a failure of its own).
    public var isMisbehaviour: Bool {
        if case .remote = self { return false }
        return true
    }

    public var description: String {
        switch self {
        case .malformed(let why): "sync: malformed message: \(why)"
        case .frameTooLong(let length, let limit): "sync: frame of \(length) bytes exceeds the limit of \(limit)"
        case .protocolViolation(let why): "sync: protocol violation: \(why)"
        case .forgedEvent(let author, let seq): "sync: forged event for feed \(author.short) seq \(seq)"
        case .remote(let message): "sync: the peer reported: \(message)"
        }
    }
}
