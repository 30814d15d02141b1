/// Failures of the I/O shells around the protocol machines.
public enum ConnectionUpgradeError: Error, Equatable, Sendable, CustomStringConvertible {
    case timedOut(stage: String)
    case connectionClosed(stage: String)
    case tooMuchBufferedData(stage: String, limit: Int)

    public var description: String {
        switch self {
        case .timedOut(let stage): return "\(stage): timed out"
        case .connectionClosed(let stage): return "\(stage): connection closed before completion"
        case .tooMuchBufferedData(let stage, let limit): return "\(stage): more than \(limit) bytes written before the handshake finished"
        }
    }
}
