/// The py-libp2p Kademlia harness (`tools/interop/py_kad_peer.py`): stock KadDHT in server mode.
public final class PyKadPeer: PyHarnessPeer, @unchecked Sendable {
    public init(python: String, seed: Int) async throws {
        try await super.init(python: python, script: "py_kad_peer.py", arguments: ["--seed", String(seed)])
    }
}
