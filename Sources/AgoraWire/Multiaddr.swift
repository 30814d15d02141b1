import AgoraCore

public enum MultiaddrError: Error, Equatable, Sendable, CustomStringConvertible {
    case empty
    case mustStartWithSlash
    case unknownProtocol(String)
    case unknownProtocolCode(UInt64)
    case missingValue(protocol: String)
    case invalidValue(protocol: String, value: String, reason: String)
    case truncated
    case tooLong(length: Int, limit: Int)
    case tooManyComponents(limit: Int)

    public var description: String {
        switch self {
        case .empty: return "multiaddr: empty"
        case .mustStartWithSlash: return "multiaddr: must start with '/'"
        case .unknownProtocol(let name): return "multiaddr: unknown protocol '\(name)'"
        case .unknownProtocolCode(let code): return "multiaddr: unknown protocol code \(code)"
        case .missingValue(let name): return "multiaddr: /\(name) needs a value"
        case .invalidValue(let name, let value, let reason): return "multiaddr: invalid /\(name) value '\(value)': \(reason)"
        case .truncated: return "multiaddr: binary form truncated"
        case .tooLong(let length, let limit): return "multiaddr: \(length) bytes exceeds the limit of \(limit)"
        case .tooManyComponents(let limit): return "multiaddr: more than \(limit) components"
        }
    }
}

/// A composable network address (`/ip4/127.0.0.1/tcp/4001/p2p/12D3KooW…`), in the
/// subset of protocols Agora dials and advertises.
public struct Multiaddr: Hashable, Sendable, CustomStringConvertible, LosslessStringConvertible {
    public enum Component: Hashable, Sendable {
        /// Four address bytes in network order.
        case ip4([UInt8])
        /// Sixteen address bytes in network order.
        case ip6([UInt8])
        case dns(String)
        case dns4(String)
        case dns6(String)
        case dnsaddr(String)
        case tcp(UInt16)
        case udp(UInt16)
        case p2p(PeerID)
    }

    public static let maxBinaryLength = 1024
    public static let maxComponents = 32
    static let maxDNSNameLength = 255

    public var components: [Component]

    public init(_ components: [Component]) {
        self.components = components
    }

    public init?(_ description: String) {
        guard let parsed = try? Multiaddr(parsing: description) else { return nil }
        self = parsed
    }

    public init(parsing text: String) throws(MultiaddrError) {
        guard !text.isEmpty else { throw .empty }
        guard text.utf8.count <= Self.maxBinaryLength * 4 else { throw .tooLong(length: text.utf8.count, limit: Self.maxBinaryLength * 4) }
        guard text.hasPrefix("/") else { throw .mustStartWithSlash }
        var parts = text.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        if parts.last == "" && parts.count > 1 { parts = parts.dropLast() }
        var components: [Component] = []
        while let name = parts.popFirst() {
            guard components.count < Self.maxComponents else { throw .tooManyComponents(limit: Self.maxComponents) }
            let protocolName = String(name)
            guard !protocolName.isEmpty else { throw .unknownProtocol("") }
            guard Self.knownNames.contains(protocolName) else { throw .unknownProtocol(protocolName) }
            guard let value = parts.popFirst(), !value.isEmpty else { throw .missingValue(protocol: protocolName) }
            components.append(try Self.component(named: protocolName, value: String(value)))
        }
        self.components = components
    }

    public init<Bytes: Collection>(bytes: Bytes) throws(MultiaddrError) where Bytes.Element == UInt8 {
        let raw = Array(bytes)
        guard !raw.isEmpty else { throw .empty }
        guard raw.count <= Self.maxBinaryLength else { throw .tooLong(length: raw.count, limit: Self.maxBinaryLength) }
        var position = 0
        func varint() throws(MultiaddrError) -> UInt64 {
            do {
                let (value, length) = try Varint.decode(raw, at: position)
                position += length
                return value
            } catch {
                throw .truncated
            }
        }
        func take(_ count: Int) throws(MultiaddrError) -> [UInt8] {
            guard raw.count - position >= count else { throw .truncated }
            defer { position += count }
            return Array(raw[position..<(position + count)])
        }
        var components: [Component] = []
        while position < raw.count {
            guard components.count < Self.maxComponents else { throw .tooManyComponents(limit: Self.maxComponents) }
            let code = try varint()
            switch code {
            case Code.ip4: components.append(.ip4(try take(4)))
            case Code.ip6: components.append(.ip6(try take(16)))
            case Code.tcp, Code.udp:
                let port = try take(2)
                let value = UInt16(port[0]) << 8 | UInt16(port[1])
                components.append(code == Code.tcp ? .tcp(value) : .udp(value))
            case Code.dns, Code.dns4, Code.dns6, Code.dnsaddr, Code.p2p:
                let length = try varint()
                guard length <= UInt64(raw.count - position) else { throw .truncated }
                let value = try take(Int(length))
                if code == Code.p2p {
                    do {
                        components.append(.p2p(try PeerID(bytes: value)))
                    } catch {
                        throw .invalidValue(protocol: "p2p", value: Hex.encode(value), reason: error.description)
                    }
                } else {
                    let name = String(decoding: value, as: UTF8.self)
                    let protocolName = Self.name(forCode: code)
                    guard name.utf8.elementsEqual(value) else {
                        throw .invalidValue(protocol: protocolName, value: Hex.encode(value), reason: "not UTF-8")
                    }
                    components.append(try Self.component(named: protocolName, value: name))
                }
            default:
                throw .unknownProtocolCode(code)
            }
        }
        self.components = components
    }

    public var bytes: [UInt8] {
        var out: [UInt8] = []
        for component in components {
            switch component {
            case .ip4(let address):
                Varint.encode(Code.ip4, into: &out)
                out.append(contentsOf: address)
            case .ip6(let address):
                Varint.encode(Code.ip6, into: &out)
                out.append(contentsOf: address)
            case .tcp(let port), .udp(let port):
                if case .tcp = component { Varint.encode(Code.tcp, into: &out) } else { Varint.encode(Code.udp, into: &out) }
                out.append(UInt8(port >> 8))
                out.append(UInt8(port & 0xff))
            case .dns(let name), .dns4(let name), .dns6(let name), .dnsaddr(let name):
                Varint.encode(Self.code(of: component), into: &out)
                Varint.encode(UInt64(name.utf8.count), into: &out)
                out.append(contentsOf: name.utf8)
            case .p2p(let peer):
                let raw = peer.bytes
                Varint.encode(Code.p2p, into: &out)
                Varint.encode(UInt64(raw.count), into: &out)
                out.append(contentsOf: raw)
            }
        }
        return out
    }

    public var description: String {
        components.map { component -> String in
            switch component {
            case .ip4(let address): return "/ip4/" + address.map(String.init).joined(separator: ".")
            case .ip6(let address): return "/ip6/" + IPv6Text.format(address)
            case .dns(let name): return "/dns/" + name
            case .dns4(let name): return "/dns4/" + name
            case .dns6(let name): return "/dns6/" + name
            case .dnsaddr(let name): return "/dnsaddr/" + name
            case .tcp(let port): return "/tcp/\(port)"
            case .udp(let port): return "/udp/\(port)"
            case .p2p(let peer): return "/p2p/\(peer)"
            }
        }.joined()
    }

    /// The peer ID in the last `/p2p` component, the one a dialer must authenticate.
    public var peerID: PeerID? {
        for component in components.reversed() {
            if case .p2p(let peer) = component { return peer }
        }
        return nil
    }

    /// Host and TCP port for a dialer: the first ip/dns component followed by /tcp.
    public var tcpHostAndPort: (host: String, port: Int)? {
        guard components.count >= 2, case .tcp(let port) = components[1] else { return nil }
        switch components[0] {
        case .ip4(let address): return (address.map(String.init).joined(separator: "."), Int(port))
        case .ip6(let address): return (IPv6Text.format(address), Int(port))
        case .dns(let name), .dns4(let name), .dns6(let name): return (name, Int(port))
        default: return nil
        }
    }

    public func appending(_ component: Component) -> Multiaddr {
        Multiaddr(components + [component])
    }

    /// The same address ending in `/p2p/<peer>`; an existing trailing peer component is replaced.
    public func withPeerID(_ peer: PeerID) -> Multiaddr {
        withoutPeerID.appending(.p2p(peer))
    }

    public var withoutPeerID: Multiaddr {
        var trimmed = components
        if case .p2p = trimmed.last { trimmed.removeLast() }
        return Multiaddr(trimmed)
    }

    enum Code {
        static let ip4: UInt64 = 4
        static let tcp: UInt64 = 6
        static let ip6: UInt64 = 41
        static let dns: UInt64 = 53
        static let dns4: UInt64 = 54
        static let dns6: UInt64 = 55
        static let dnsaddr: UInt64 = 56
        static let udp: UInt64 = 273
        static let p2p: UInt64 = 421
    }

    private static let knownNames: Set<String> = ["ip4", "ip6", "dns", "dns4", "dns6", "dnsaddr", "tcp", "udp", "p2p", "ipfs"]

    private static func code(of component: Component) -> UInt64 {
        switch component {
        case .ip4: return Code.ip4
        case .ip6: return Code.ip6
        case .dns: return Code.dns
        case .dns4: return Code.dns4
        case .dns6: return Code.dns6
        case .dnsaddr: return Code.dnsaddr
        case .tcp: return Code.tcp
        case .udp: return Code.udp
        case .p2p: return Code.p2p
        }
    }

    private static func name(forCode code: UInt64) -> String {
        switch code {
        case Code.dns: return "dns"
        case Code.dns4: return "dns4"
        case Code.dns6: return "dns6"
        default: return "dnsaddr"
        }
    }

    private static func component(named name: String, value: String) throws(MultiaddrError) -> Component {
        func invalid(_ reason: String) -> MultiaddrError { .invalidValue(protocol: name, value: value, reason: reason) }
        switch name {
        case "ip4":
            guard let address = IPv4Text.parse(value) else { throw invalid("expected four decimal octets") }
            return .ip4(address)
        case "ip6":
            guard let address = IPv6Text.parse(value) else { throw invalid("not an IPv6 address") }
            return .ip6(address)
        case "tcp", "udp":
            guard value.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
                  value.utf8.count <= 5, let port = UInt16(value)
            else { throw invalid("expected a port 0-65535") }
            return name == "tcp" ? .tcp(port) : .udp(port)
        case "p2p", "ipfs":
            do {
                return .p2p(try PeerID(string: value))
            } catch {
                throw invalid(error.description)
            }
        default:
            guard value.utf8.count <= maxDNSNameLength else { throw invalid("longer than \(maxDNSNameLength) bytes") }
            guard !value.contains("/") else { throw invalid("contains '/'") }
            switch name {
            case "dns": return .dns(value)
            case "dns4": return .dns4(value)
            case "dns6": return .dns6(value)
            default: return .dnsaddr(value)
            }
        }
    }
}

enum IPv4Text {
    /// Strict dotted quad: leading zeros are refused because some parsers read them as octal.
    static func parse(_ text: some StringProtocol) -> [UInt8]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var out: [UInt8] = []
        for part in parts {
            guard !part.isEmpty, part.count <= 3, part.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                  part == "0" || !part.hasPrefix("0"), let octet = UInt8(part)
            else { return nil }
            out.append(octet)
        }
        return out
    }
}

enum IPv6Text {
    static func parse(_ text: some StringProtocol) -> [UInt8]? {
        guard text.utf8.count <= 45, !text.isEmpty else { return nil }
        let whole = String(text)
        var halves = [whole]
        if let gap = whole.firstRange(of: "::") {
            halves = [String(whole[..<gap.lowerBound]), String(whole[gap.upperBound...])]
            guard halves[1].firstRange(of: "::") == nil else { return nil }
        }
        func groups(_ part: String, allowIPv4Tail: Bool) -> [UInt8]? {
            if part.isEmpty { return [] }
            var out: [UInt8] = []
            let fields = part.split(separator: ":", omittingEmptySubsequences: false)
            for (index, field) in fields.enumerated() {
                if allowIPv4Tail && index == fields.count - 1 && field.contains(".") {
                    guard let v4 = IPv4Text.parse(field) else { return nil }
                    out.append(contentsOf: v4)
                    continue
                }
                guard (1...4).contains(field.count), let value = UInt16(field, radix: 16) else { return nil }
                out.append(UInt8(value >> 8))
                out.append(UInt8(value & 0xff))
            }
            return out
        }
        if halves.count == 1 {
            guard let all = groups(halves[0], allowIPv4Tail: true), all.count == 16 else { return nil }
            return all
        }
        guard let head = groups(halves[0], allowIPv4Tail: false),
              let tail = groups(halves[1], allowIPv4Tail: true),
              head.count + tail.count <= 14
        else { return nil }
        return head + [UInt8](repeating: 0, count: 16 - head.count - tail.count) + tail
    }

    /// RFC 5952 canonical text: lowercase, no leading zeros, longest zero run (≥ 2 groups) as "::".
    static func format(_ address: [UInt8]) -> String {
        let groups = (0..<8).map { UInt16(address[2 * $0]) << 8 | UInt16(address[2 * $0 + 1]) }
        var bestStart = -1
        var bestLength = 0
        var index = 0
        while index < 8 {
            guard groups[index] == 0 else { index += 1; continue }
            let start = index
            while index < 8 && groups[index] == 0 { index += 1 }
            if index - start > bestLength { bestStart = start; bestLength = index - start }
        }
        let hex = groups.map { String($0, radix: 16) }
        guard bestLength >= 2 else { return hex.joined(separator: ":") }
        let head = hex[..<bestStart].joined(separator: ":")
        let tail = hex[(bestStart + bestLength)...].joined(separator: ":")
        return head + "::" + tail
    }
}
