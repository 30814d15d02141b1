import AgoraCore
import Testing
@testable import AgoraWire

@Suite struct MultiaddrTests {
    static let peer = "12D3KooWPjceQrSwdWXPyLLeABRXmuqt69Rg3sBYbU1Nft9HyQ6X"

    @Test func textRoundTrips() throws {
        let texts = [
            "/ip4/127.0.0.1/tcp/4001",
            "/ip4/0.0.0.0/udp/0",
            "/ip6/::1/tcp/65535",
            "/ip6/2001:db8::ff00:42:8329/tcp/1",
            "/ip6/::/tcp/2",
            "/ip6/fe80::1:0:0:1/tcp/3",
            "/dns/example.com/tcp/443",
            "/dns4/a.b/tcp/1/p2p/\(Self.peer)",
            "/dns6/c.d/udp/9",
            "/dnsaddr/bootstrap.libp2p.io/p2p/\(Self.peer)",
            "/p2p/\(Self.peer)",
        ]
        for text in texts {
            let addr = try Multiaddr(parsing: text)
            #expect(addr.description == text)
            #expect(try Multiaddr(bytes: addr.bytes) == addr)
        }
    }

    @Test func knownBinaryEncoding() throws {
        let addr = try Multiaddr(parsing: "/ip4/127.0.0.1/tcp/4001")
        #expect(Hex.encode(addr.bytes) == "047f000001060fa1")
        let dns = try Multiaddr(parsing: "/dns4/ab/tcp/80")
        #expect(Hex.encode(dns.bytes) == "3602616206" + "0050")
        let p2p = try Multiaddr(parsing: "/p2p/\(Self.peer)")
        #expect(Array(p2p.bytes.prefix(3)) == [0xa5, 0x03, 0x26])
    }

    @Test func normalisesAliasesAndIPv6() throws {
        #expect(try Multiaddr(parsing: "/ipfs/\(Self.peer)").description == "/p2p/\(Self.peer)")
        #expect(try Multiaddr(parsing: "/ip6/0:0:0:0:0:0:0:1/tcp/1").description == "/ip6/::1/tcp/1")
        #expect(try Multiaddr(parsing: "/ip6/2001:DB8:0:0:1:0:0:1/tcp/1").description == "/ip6/2001:db8::1:0:0:1/tcp/1")
        #expect(try Multiaddr(parsing: "/ip6/::ffff:1.2.3.4/tcp/1").description == "/ip6/::ffff:102:304/tcp/1")
        #expect(try Multiaddr(parsing: "/ip4/1.2.3.4/tcp/5/").description == "/ip4/1.2.3.4/tcp/5")
    }

    @Test func helpers() throws {
        let addr = try Multiaddr(parsing: "/ip4/127.0.0.1/tcp/4001")
        let peer = try PeerID(string: Self.peer)
        let full = addr.withPeerID(peer)
        #expect(full.description == "/ip4/127.0.0.1/tcp/4001/p2p/\(Self.peer)")
        #expect(full.peerID == peer)
        #expect(full.withPeerID(peer) == full)
        #expect(full.withoutPeerID == addr)
        #expect(addr.peerID == nil)
        #expect(full.tcpHostAndPort?.host == "127.0.0.1")
        #expect(full.tcpHostAndPort?.port == 4001)
        #expect(try Multiaddr(parsing: "/ip6/::1/tcp/7").tcpHostAndPort?.host == "::1")
        #expect(try Multiaddr(parsing: "/dns/x.org/tcp/7").tcpHostAndPort?.host == "x.org")
        #expect(try Multiaddr(parsing: "/ip4/1.2.3.4/udp/7").tcpHostAndPort == nil)
        #expect(Multiaddr("/ip4/1.2.3.4/tcp/1") != nil)
        #expect(Multiaddr("garbage") == nil)
    }

    @Test func rejectsGarbageText() {
        let cases: [(String, MultiaddrError)] = [
            ("", .empty),
            ("ip4/1.2.3.4", .mustStartWithSlash),
            ("/ip5/1.2.3.4", .unknownProtocol("ip5")),
            ("/ip4", .missingValue(protocol: "ip4")),
            ("/ip4/1.2.3.4/tcp", .missingValue(protocol: "tcp")),
            ("/ip4/256.1.1.1", .invalidValue(protocol: "ip4", value: "256.1.1.1", reason: "expected four decimal octets")),
            ("/ip4/01.1.1.1", .invalidValue(protocol: "ip4", value: "01.1.1.1", reason: "expected four decimal octets")),
            ("/ip4/1.1.1", .invalidValue(protocol: "ip4", value: "1.1.1", reason: "expected four decimal octets")),
            ("/tcp/65536", .invalidValue(protocol: "tcp", value: "65536", reason: "expected a port 0-65535")),
            ("/tcp/-1", .invalidValue(protocol: "tcp", value: "-1", reason: "expected a port 0-65535")),
            ("/ip6/1:::2", .invalidValue(protocol: "ip6", value: "1:::2", reason: "not an IPv6 address")),
            ("/ip6/1::2::3", .invalidValue(protocol: "ip6", value: "1::2::3", reason: "not an IPv6 address")),
            ("/ip6/1:2:3:4:5:6:7", .invalidValue(protocol: "ip6", value: "1:2:3:4:5:6:7", reason: "not an IPv6 address")),
            ("/ip6/12345::", .invalidValue(protocol: "ip6", value: "12345::", reason: "not an IPv6 address")),
            ("//tcp/1", .unknownProtocol("")),
        ]
        for (text, error) in cases {
            #expect(throws: error) { try Multiaddr(parsing: text) }
        }
        #expect(throws: MultiaddrError.self) { try Multiaddr(parsing: "/p2p/notapeer") }
    }

    @Test func rejectsGarbageBinary() throws {
        let full = try Multiaddr(parsing: "/dns4/example.com/tcp/1/p2p/\(Self.peer)").bytes
        var validPrefixes: [String] = []
        for cut in 1..<full.count {
            // Cuts at component boundaries are valid shorter addresses; every other cut must fail.
            if let prefix = try? Multiaddr(bytes: full[..<cut]) {
                #expect(prefix.bytes == Array(full[..<cut]))
                validPrefixes.append(prefix.description)
            }
        }
        #expect(validPrefixes == ["/dns4/example.com", "/dns4/example.com/tcp/1"])
        #expect(throws: MultiaddrError.unknownProtocolCode(0x99)) { try Multiaddr(bytes: [0x99, 0x01]) }
        #expect(throws: MultiaddrError.empty) { try Multiaddr(bytes: [UInt8]()) }
        #expect(throws: MultiaddrError.tooLong(length: 2000, limit: 1024)) { try Multiaddr(bytes: [UInt8](repeating: 4, count: 2000)) }
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let bytes = (0..<Int.random(in: 1...30, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            if let addr = try? Multiaddr(bytes: bytes) {
                #expect(try Multiaddr(parsing: addr.description) == addr)
            }
        }
    }
}
