import Foundation
import NIOCore
import NIOPosix
import Testing
@testable import AgoraWire

/// The Noise layer alone against py-libp2p: the narrowest interop check, so a failure here
/// points at the handshake rather than at Yamux or identify.
@Suite struct NoiseInteropTests {
    @Test(.enabled(if: PyPeerProcess.python != nil, "set AGORA_INTEROP_PYTHON to the py-libp2p venv python"))
    func dialPyLibp2pOverNoise() async throws {
        let peer = try await PyPeerProcess(python: try #require(PyPeerProcess.python), seed: 7)
        defer { peer.stop() }
        let printed = try PeerID(string: try #require(peer.ready.peer_id))
        let address = try Multiaddr(parsing: try #require(peer.ready.addr))
        #expect(address.peerID == printed)
        #expect(PeerID(publicKey: try seedKey(7).publicKey) == printed)

        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let target = try #require(address.tcpHostAndPort)
        let (channel, secured) = try await SecureUpgradeTests.dial(
            group: group, port: target.port, seed: 1, expected: address.peerID
        )
        #expect(try await SecureUpgradeTests.withDeadline(secured, seconds: 20).get() == printed)
        try await channel.close().get()
        try await group.shutdownGracefully()
    }
}
