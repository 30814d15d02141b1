import AgoraCore
import Crypto

/// The DHT keys Agora uses. Provider keys are sha2-256 multihashes of a namespaced name (the
/// shape of a CIDv0, which every libp2p DHT accepts as a provider key); value records live
/// under our own text namespace, valid UTF-8 as py-libp2p requires.
public enum DHTNames {
    public static let feedHeadPrefix = "/agora-feed-head/"

    /// `agora/package/<scope>/<name>`, lowercased as package names compare.
    public static func packageProviderKey(scope: String, name: String) -> [UInt8] {
        providerKey(for: "agora/package/\(scope.lowercased())/\(name.lowercased())")
    }

    /// `agora/feed/<author key hex>`: nodes holding an author's feed.
    public static func feedProviderKey(author: PublicKey) -> [UInt8] {
        providerKey(for: "agora/feed/\(author.hex)")
    }

    /// sha2-256 multihash (0x12, 32, digest) of the name's UTF-8 bytes.
    public static func providerKey(for name: String) -> [UInt8] {
        [0x12, 0x20] + Array(SHA256.hash(data: Array(name.utf8)))
    }

    /// The record key of an author's signed feed head.
    public static func feedHeadKey(author: PublicKey) -> [UInt8] {
        Array((feedHeadPrefix + author.hex).utf8)
    }
}
