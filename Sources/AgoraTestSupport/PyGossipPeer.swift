/// The py-libp2p gossipsub harness (`tools/interop/py_gossip_peer.py`), subscribed to `topic`.
public final class PyGossipPeer: PyHarnessPeer, @unchecked Sendable {
    public init(python: String, seed: Int, topic: String) async throws {
        try await super.init(python: python, script: "py_gossip_peer.py", arguments: ["--seed", String(seed), "--topic", topic])
    }

    /// The data (hex) of every message received so far.
    public var receivedData: [String] {
        events.compactMap { $0["event"] as? String == "message" ? $0["data_hex"] as? String : nil }
    }
}
