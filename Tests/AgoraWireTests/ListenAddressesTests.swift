import NIOCore
import Testing
@testable import AgoraWire

@Suite struct ListenAddressesTests {
    static let interfaces = try! [
        SocketAddress(ipAddress: "127.0.0.1", port: 0), SocketAddress(ipAddress: "192.168.1.20", port: 0),
        SocketAddress(ipAddress: "::1", port: 0), SocketAddress(ipAddress: "fe80::1", port: 0),
        SocketAddress(ipAddress: "2001:db8::5", port: 0),
    ]

    @Test(arguments: [
        ("/ip4/0.0.0.0/tcp/4001", ["/ip4/192.168.1.20/tcp/4001", "/ip4/127.0.0.1/tcp/4001"]),
        ("/ip6/::/tcp/7", ["/ip4/192.168.1.20/tcp/7", "/ip6/2001:db8::5/tcp/7", "/ip4/127.0.0.1/tcp/7", "/ip6/::1/tcp/7"]),
        ("/ip4/127.0.0.1/tcp/9", ["/ip4/127.0.0.1/tcp/9"]),
    ])
    func wildcardsAdvertiseInterfaceAddresses(bound: String, expected: [String]) throws {
        let advertised = ListenAddresses.advertised(for: try Multiaddr(parsing: bound), interfaces: Self.interfaces)
        #expect(advertised.map(\.description) == expected)
    }

    @Test func aWildcardWithoutInterfacesStaysAsBound() throws {
        let bound = try Multiaddr(parsing: "/ip4/0.0.0.0/tcp/1")
        #expect(ListenAddresses.advertised(for: bound, interfaces: []) == [bound])
    }

    @Test func addressGroupsAreIPv4AddressesAndIPv6Prefixes() throws {
        #expect(try SocketAddress(ipAddress: "10.1.2.3", port: 5).addressGroup == "10.1.2.3")
        #expect(try SocketAddress(ipAddress: "::ffff:10.1.2.3", port: 5).addressGroup == "10.1.2.3")
        let a = try SocketAddress(ipAddress: "2001:db8:0:ab00::1", port: 1).addressGroup
        let b = try SocketAddress(ipAddress: "2001:db8:0:abff:ffff::9", port: 2).addressGroup
        let c = try SocketAddress(ipAddress: "2001:db8:0:ac00::1", port: 1).addressGroup
        #expect(a == b, "same /56")
        #expect(a != c)
    }

    @Test func aWildcardListenerAdvertisesLoopbackNotTheWildcard() async throws {
        try await withRunningHost(P2PHost(identity: .generate())) { host in
            let bound = try await host.listen(on: try Multiaddr(parsing: "/ip4/0.0.0.0/tcp/0"))
            let advertised = await host.listenAddresses
            #expect(advertised.contains { $0.tcpHostAndPort?.host == "127.0.0.1" && $0.tcpHostAndPort?.port == bound.tcpHostAndPort?.port })
            #expect(!advertised.contains { $0.tcpHostAndPort?.host == "0.0.0.0" })
        }
    }
}
