@testable import AgoraWire
import AgoraCore
import AgoraTestSupport
import NIOPosix
import Testing

/// Agora against py-libp2p 0.8.1 (`tools/interop/py_peer.py`), both directions.
@Suite(.enabled(if: PyPeerProcess.python != nil, "set AGORA_INTEROP_PYTHON to the py-libp2p venv's python"))
struct PyLibp2pInteropTests {
    static let agoraProtocols: Set<String> = [ProtocolIDs.identify, ProtocolIDs.identifyPush, ProtocolIDs.ping]
    static let pyProtocols: Set<String> = [ProtocolIDs.identify, ProtocolIDs.identifyPush, ProtocolIDs.ping]

    static func agoraHost(group: MultiThreadedEventLoopGroup, seed: UInt8) async throws -> (RunningHost, Multiaddr) {
        let running = RunningHost(P2PHost(identity: try Identity(seed: [seed] + Array(repeating: 0, count: 31)), group: group))
        let bound = try await running.host.listen(on: Multiaddr(parsing: "/ip4/127.0.0.1/tcp/0"))
        return (running, bound.withPeerID(running.host.peerID))
    }

    @Test func pyDialsAgora() async throws {
        let python = try #require(PyPeerProcess.python)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let (running, address) = try await Self.agoraHost(group: group, seed: 21)
        let host = running.host
        let py = try await PyPeerProcess(python: python, seed: 1)
        defer { py.stop() }
        #expect(py.peerID == "12D3KooWPjceQrSwdWXPyLLeABRXmuqt69Rg3sBYbU1Nft9HyQ6X")

        let connected = try await py.command(["op": "connect", "addr": "\(address)"])
        #expect(connected.ok == true, "\(connected.error ?? "")")
        #expect(connected.peer_id == host.peerID.base58)

        let identified = try await py.command(["op": "identify", "peer": host.peerID.base58])
        #expect(identified.ok == true, "\(identified.error ?? "")")
        #expect(identified.peer_id == host.peerID.base58)
        #expect(identified.agent_version == "agora/0.1.0")
        #expect(Set(identified.protocols ?? []) == Self.agoraProtocols)
        #expect(identified.listen_addrs == ["\(address.withoutPeerID)"])

        let pinged = try await py.command(["op": "ping", "peer": host.peerID.base58, "count": "3"])
        #expect(pinged.ok == true, "\(pinged.error ?? "")")
        #expect(pinged.rtts_ms?.count == 3)

        let pyPeer = try PeerID(string: py.peerID)
        try await eventually("Agora sees the py peer") { await host.connectedPeers == [pyPeer] }
        let info = try await host.identify(pyPeer)
        #expect(info.agentVersion?.hasPrefix("py-libp2p") == true)
        #expect(Self.pyProtocols.isSubset(of: Set(info.protocols)))
        let rtts = try await host.ping(pyPeer, count: 2)
        #expect(rtts.count == 2)

        _ = try? await py.command(["op": "quit"], timeout: .seconds(5))
        try await running.shutdown()
        try await group.shutdownGracefully()
    }

    @Test func agoraDialsPy() async throws {
        let python = try #require(PyPeerProcess.python)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let (running, _) = try await Self.agoraHost(group: group, seed: 22)
        let host = running.host
        let py = try await PyPeerProcess(python: python, seed: 2)
        defer { py.stop() }
        let address = try Multiaddr(parsing: py.address)
        let pyPeer = try #require(address.peerID)
        #expect(pyPeer.base58 == "12D3KooWH3uVF6wv47WnArKHk5p6cvgCJEb74UTmxztmQDc298L3")

        let connection = try await host.connect(to: address)
        #expect(connection.remotePeer == pyPeer)
        let info = try await host.identify(pyPeer)
        #expect(info.peer == pyPeer)
        #expect(info.agentVersion?.hasPrefix("py-libp2p") == true)
        #expect(Self.pyProtocols.isSubset(of: Set(info.protocols)))
        #expect(info.listenAddrs.contains(address.withoutPeerID))

        let rtts = try await host.ping(pyPeer, count: 3)
        #expect(rtts.count == 3)

        let identified = try await py.command(["op": "identify", "peer": host.peerID.base58])
        #expect(identified.ok == true, "\(identified.error ?? "")")
        #expect(identified.peer_id == host.peerID.base58)
        #expect(Set(identified.protocols ?? []) == Self.agoraProtocols)
        let pinged = try await py.command(["op": "ping", "peer": host.peerID.base58, "count": "2"])
        #expect(pinged.ok == true, "\(pinged.error ?? "")")

        _ = try? await py.command(["op": "quit"], timeout: .seconds(5))
        try await running.shutdown()
        try await group.shutdownGracefully()
    }
}
