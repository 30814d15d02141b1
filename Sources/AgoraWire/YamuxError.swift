/// Everything that can go wrong on a yamux session or one of its streams.
///
/// Wire-level cases (`unsupportedVersion` … `protocolViolation`) end the whole session with a
/// protocol-error go-away; the others concern one stream or one local call.
public enum YamuxError: Error, Equatable, Sendable {
    /// Why the peer broke the protocol, kept specific so a log line says what happened.
    public enum Violation: Equatable, Sendable {
        case streamIDZero
        case wrongStreamIDParity(UInt32)
        case streamIDReused(UInt32)
        case windowOverflow(streamID: UInt32)
    }

    case unsupportedVersion(UInt8)
    case unknownFrameType(UInt8)
    /// A data frame announced more bytes than the receive window allows.
    case frameTooLarge(length: UInt32, limit: UInt32)
    case protocolViolation(Violation)

    /// The peer ended the session with a non-normal go-away.
    case remoteTerminated(YamuxGoAwayCode)
    /// The peer sent a go-away, so it will refuse new streams.
    case remoteGoingAway
    /// The stream was reset, by the peer or locally; its unread data is gone.
    case streamReset
    /// The stream's write side was already closed.
    case writeSideClosed
    case writeInProgress
    case readInProgress
    case unknownStream(UInt32)
    case tooManyStreams
    case streamIDsExhausted
    case tooManyPings
    case pingTimeout
    /// The session was closed locally.
    case sessionClosed
    /// The underlying connection went away.
    case connectionClosed
}
