import NIOCore

extension SocketAddress {
    /// The key under which per-address connection limits count this remote: the IPv4
    /// address, or the /56 prefix of an IPv6 address (what one subscriber usually gets, as
    /// in go-libp2p's resource manager), so rotating through a prefix buys no extra slots. An IPv4-mapped IPv6 address counts
    /// as its IPv4 address.
    public var addressGroup: String {
        switch self {
        case .v4:
            return ipAddress ?? "ipv4"
        case .v6(let address):
            let bytes = withUnsafeBytes(of: address.address.sin6_addr) { Array($0) }
            if bytes.prefix(10).allSatisfy({ $0 == 0 }), bytes[10] == 0xFF, bytes[11] == 0xFF {
                return bytes.suffix(4).map { String($0) }.joined(separator: ".")
            }
            return "ipv6/" + bytes.prefix(7).map { String($0, radix: 16) }.joined(separator: ":") + "::/56"
        case .unixDomainSocket:
            return "unix"
        }
    }
}
