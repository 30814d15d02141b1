import AgoraCore
import AgoraWire
import Crypto

/// Message signatures of libp2p pubsub's StrictSign policy: the author signs
/// `libp2p-pubsub:` ‖ the message encoded without signature and key. Ed25519 peer IDs
/// inline the key, so our messages omit the key field.
public enum GossipSigning {
    static let prefix = Array("libp2p-pubsub:".utf8)

    public static func sign(_ message: GossipMessage, with identity: Identity) throws -> GossipMessage {
        var signed = message
        signed.from = PeerID(identity: identity).bytes
        signed.signature = try identity.sign(prefix + GossipRPCCodec.encode(signed, signed: false))
        signed.key = []
        return signed
    }

    /// The author's peer ID when the signature is valid and made by the key `from` names.
    public static func verify(_ message: GossipMessage) -> PeerID? {
        guard !message.signature.isEmpty, let author = try? PeerID(bytes: message.from) else { return nil }
        let key: Curve25519.Signing.PublicKey
        if let inlined = author.ed25519PublicKey {
            key = inlined
        } else if !message.key.isEmpty, let carried = try? Libp2pPublicKey.decode(message.key), PeerID(publicKey: carried) == author {
            key = carried
        } else {
            return nil
        }
        let payload = prefix + GossipRPCCodec.encode(message, signed: false)
        return key.isValidSignature(message.signature, for: payload) ? author : nil
    }
}
