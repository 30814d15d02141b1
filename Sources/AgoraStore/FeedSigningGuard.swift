import AgoraCore

/// A record of how far a key has signed its feed, kept outside the store. A store can be
/// wiped, replaced or restored from an old copy while the key survives; signing after such a
/// store's head would reuse sequence numbers that other nodes already hold (equivocation).
/// `Store.appendSigned` asks the guard inside its write transaction, with the store's view of
/// the feed, before it signs anything.
public protocol FeedSigningGuard: Sendable {
    /// Throws `FeedSigningRefused` when the store lacks part of the feed this key signed.
    /// `entry` gives the ID the store holds at a seq of the feed (nil past its head).
    func check(key: PublicKey, storeHead: FeedHead?, entry: (UInt64) throws -> EventID?) throws

    /// Records the feed's new head once its events are committed. A record left behind by a
    /// kill before this call is safe: the store then holds more than the record says.
    func committed(key: PublicKey, head: FeedHead) throws
}

/// Signing was refused: the store does not hold this key's feed up to where it was signed.
public struct FeedSigningRefused: Error, Equatable, CustomStringConvertible {
    public let key: PublicKey
    /// The seq the record says was signed; the store lacks it (or holds another event there).
    public let recordedSeq: UInt64
    public let storeSeq: UInt64

    public init(key: PublicKey, recordedSeq: UInt64, storeSeq: UInt64) {
        self.key = key
        self.recordedSeq = recordedSeq
        self.storeSeq = storeSeq
    }

    public var description: String {
        "the store holds the feed of key \(key.short) up to seq \(storeSeq), but this key signed up to seq \(recordedSeq) "
            + "(the store was wiped, replaced or restored from an older copy); signing now would reuse a sequence number, "
            + "so nothing is signed until the feed is synced back from peers"
    }
}
