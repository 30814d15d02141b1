import AgoraCore
import AgoraStore
import Foundation

/// Guards the node key's feed (reputation events, signed by `agora serve` and by installs
/// beside it) the way `feed.head` guards the publisher's: `node.head` records how far the
/// key has signed, and a store that lacks that head (wiped, replaced, restored) signs nothing
/// until sync brings the feed back from the peers that hold it. Without this a wiped node
/// would start its feed again at seq 1 and fork its own history.
///
/// A home whose node key predates the record has none: its store is then the only account of
/// the feed, as before, and the first commit writes the record. A record naming another key
/// (the node key file was replaced by a new key) says nothing about this key.
public struct NodeFeedGuard: FeedSigningGuard {
    let url: URL

    public init(home: AgoraHome) {
        url = home.nodeHeadURL
    }

    public func check(key: PublicKey, storeHead: FeedHead?, entry: (UInt64) throws -> EventID?) throws {
        guard let record = try FeedHeadRecord.read(at: url, repair: "remove it only if this store holds the node key's whole feed"),
              record.key == key
        else { return }
        guard try record.isHeld(storeHead: storeHead, entry: entry) else {
            throw FeedSigningRefused(key: key, recordedSeq: record.seq, storeSeq: storeHead?.seq ?? 0)
        }
    }

    public func committed(key: PublicKey, head: FeedHead) throws {
        try FeedHeadRecord(key: key, head: head).write(to: url)
    }
}
