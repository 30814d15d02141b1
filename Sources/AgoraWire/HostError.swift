import NIOCore

public enum HostError: Error, Equatable, Sendable, CustomStringConvertible {
    case unsupportedAddress(String)
    case notConnected(PeerID)
    case protocolNotSupported([String])
    case invalidProtocolID(String)
    case tooManyProtocols(limit: Int)
    case refused(ConnectionRefusal)
    case shutDown
    case alreadyRunning

    public var description: String {
        switch self {
        case .unsupportedAddress(let address): return "cannot dial or listen on \(address): need /ip4, /ip6 or /dns* followed by /tcp"
        case .notConnected(let peer): return "not connected to \(peer) and no address known"
        case .protocolNotSupported(let protocols): return "the peer supports none of \(protocols)"
        case .invalidProtocolID(let name): return "invalid protocol ID \(String(reflecting: name))"
        case .tooManyProtocols(let limit): return "more than \(limit) protocol handlers"
        case .refused(let reason): return "connection refused: \(reason)"
        case .shutDown: return "the host has shut down"
        case .alreadyRunning: return "the host is already running"
        }
    }
}

extension Multiaddr {
    /// The TCP address of a socket as a multiaddr (`/ip4/…/tcp/…` or `/ip6/…/tcp/…`).
    public init?(socketAddress: SocketAddress) {
        guard let ip = socketAddress.ipAddress, let port = socketAddress.port else { return nil }
        let text: String
        switch socketAddress {
        case .v4: text = "/ip4/\(ip)/tcp/\(port)"
        case .v6: text = "/ip6/\(ip)/tcp/\(port)"
        case .unixDomainSocket: return nil
        }
        guard let parsed = try? Multiaddr(parsing: text) else { return nil }
        self = parsed
    }
}
