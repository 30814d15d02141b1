import NIOCore

/// What a listener tells peers (identify) and the operator: a socket bound to a wildcard
/// address (`0.0.0.0`, `::`) is reachable on each interface address, never on the wildcard
/// itself, which no peer can dial.
enum ListenAddresses {
    /// `bound` itself, or for a wildcard the interface addresses of the same family (IPv6
    /// wildcards also accept IPv4 on a dual-stack socket) with its port, loopback last.
    /// Link-local IPv6 addresses are left out: they need a zone to be dialled.
    static func advertised(for bound: Multiaddr, interfaces: [SocketAddress]) -> [Multiaddr] {
        guard let (host, port) = bound.tcpHostAndPort, host == "0.0.0.0" || host == "::" else { return [bound] }
        var found: [Multiaddr] = []
        for interface in interfaces {
            guard let ip = interface.ipAddress else { continue }
            switch interface {
            case .v4:
                break
            case .v6:
                guard host == "::", !ip.lowercased().hasPrefix("fe80") else { continue }
            case .unixDomainSocket:
                continue
            }
            guard let socket = try? SocketAddress(ipAddress: ip, port: port),
                let address = Multiaddr(socketAddress: socket), !found.contains(address)
            else { continue }
            found.append(address)
        }
        let isLoopback: (Multiaddr) -> Bool = { address in
            guard let host = address.tcpHostAndPort?.host else { return false }
            return host.hasPrefix("127.") || host == "::1"
        }
        let ordered = found.filter { !isLoopback($0) } + found.filter(isLoopback)
        return ordered.isEmpty ? [bound] : ordered
    }
}
