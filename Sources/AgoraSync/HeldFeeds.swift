import AgoraCore

/// What a client said it holds (`SyncRequest.holdings`), kept by the server for one stream so
/// the changes it serves there leave those events out. Bounded by `SyncLimits.maxHeldFeeds`:
/// feeds past the bound are not kept, and their events are sent (as duplicates the client
/// drops). A false claim costs only the client: it is sent held runs to check instead of
/// events, and fetches by feed range what it turns out to lack.
public struct HeldFeeds: Sendable, Equatable {
    /// Feed → the seq through which the client holds it.
    public private(set) var through: [PublicKey: UInt64] = [:]

    public init() {}

    /// Keeps `feeds` (a later claim on a kept feed replaces the earlier one); returns how many
    /// of them were kept.
    public mutating func add(_ feeds: [HeldFeed], limit: Int) -> Int {
        var kept = 0
        for feed in feeds where through[feed.author] != nil || through.count < limit {
            through[feed.author] = feed.seq
            kept += 1
        }
        return kept
    }
}
