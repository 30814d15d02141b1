import AgoraCore
import AgoraWire
import ArgumentParser
import Foundation

struct IDCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "id",
        abstract: "Print this node's libp2p peer ID (creating the identity in $AGORA_HOME if needed)."
    )

    @Flag(help: "Print JSON: peer ID, its CIDv1 form and the ed25519 public key.")
    var json = false

    func run() async throws {
        let identity = try NodeIdentity.loadOrCreate()
        let peer = PeerID(identity: identity)
        if json {
            let object = ["peer_id": peer.base58, "cid": peer.cid, "public_key": identity.publicKey.hex]
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            JSONOutput.printRaw(data)
        } else {
            say("\(peer.base58)")
        }
    }
}
