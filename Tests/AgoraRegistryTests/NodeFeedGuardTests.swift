import AgoraCore
import AgoraStore
import Foundation
import Testing
@testable import AgoraRegistry

/// `node.head` keeps the node key from signing into a store that lacks part of its feed.
@Suite struct NodeFeedGuardTests {
    static func observations(_ count: Int, tag: UInt8) -> [EventBody] {
        (0..<count).map { index in
            .peerPenalised(PeerPenalised(peer: [tag, UInt8(index)] + [UInt8](repeating: 7, count: 32), reason: "test \(index)", evidence: []))
        }
    }

    @Test func theRecordFollowsEveryCommit() throws {
        let home = try TemporaryHome()
        let store = try home.registry().store
        let key = Identity.generate()
        let nodeGuard = NodeFeedGuard(home: home.home)
        #expect(try FeedHeadRecord.read(at: home.home.nodeHeadURL, repair: "") == nil)
        for round in 1...3 {
            let signed = try store.appendSigned(Self.observations(round, tag: 1), by: key, timestamp: 1, signingGuard: nodeGuard)
            let record = try #require(try FeedHeadRecord.read(at: home.home.nodeHeadURL, repair: ""))
            #expect(record == FeedHeadRecord(key: key.publicKey, seq: signed.last!.seq, id: signed.last!.id))
        }
        #expect(try store.head(of: key.publicKey)?.seq == 6)
    }

    /// For feeds of several lengths: a store holding only a prefix (wiped: none) is refused and
    /// keeps nothing new; once the rest arrives (as sync brings it) signing continues the feed.
    @Test(arguments: [(1, 0), (4, 0), (4, 2), (9, 8)])
    func aStoreThatLacksTheSignedHeadSignsNothingUntilItIsBack(signed: Int, held: Int) throws {
        let home = try TemporaryHome()
        let original = try home.registry().store
        let key = Identity.generate()
        let nodeGuard = NodeFeedGuard(home: home.home)
        let feed = try original.appendSigned(Self.observations(signed, tag: 2), by: key, timestamp: 1, signingGuard: nodeGuard)

        let wiped = try TemporaryHome()
        let store = try wiped.registry().store
        if held > 0 { _ = try store.append(Array(feed.prefix(held)), verification: .chain) }
        #expect(throws: FeedSigningRefused(key: key.publicKey, recordedSeq: UInt64(signed), storeSeq: UInt64(held))) {
            try store.appendSigned(Self.observations(1, tag: 3), by: key, timestamp: 2, signingGuard: nodeGuard)
        }
        #expect(try store.head(of: key.publicKey)?.seq ?? 0 == UInt64(held))

        _ = try store.append(Array(feed.dropFirst(held)), verification: .chain)
        let next = try store.appendSigned(Self.observations(1, tag: 3), by: key, timestamp: 2, signingGuard: nodeGuard)
        #expect(next.map(\.seq) == [UInt64(signed + 1)])
        #expect(next.first?.prev == feed.last?.id)
    }

    /// A store that holds another event at the recorded seq (a fork made elsewhere) is refused;
    /// a store ahead of the record (a kill before the record was written) is not.
    @Test func aForkedStoreIsRefusedAndOneAheadIsNot() throws {
        let home = try TemporaryHome()
        let store = try home.registry().store
        let key = Identity.generate()
        let nodeGuard = NodeFeedGuard(home: home.home)
        let feed = try store.appendSigned(Self.observations(3, tag: 4), by: key, timestamp: 1, signingGuard: nodeGuard)

        let other = try TemporaryHome()
        let forked = try other.registry().store
        _ = try forked.append(Array(feed.prefix(2)), verification: .chain)
        try forked.appendSigned(Self.observations(1, tag: 5), by: key, timestamp: 9)
        #expect(throws: FeedSigningRefused.self) {
            try forked.appendSigned(Self.observations(1, tag: 6), by: key, timestamp: 9, signingGuard: nodeGuard)
        }

        try FeedHeadRecord(key: key.publicKey, seq: 2, id: feed[1].id).write(to: home.home.nodeHeadURL)
        let next = try store.appendSigned(Self.observations(1, tag: 7), by: key, timestamp: 2, signingGuard: nodeGuard)
        #expect(next.map(\.seq) == [4])
    }

    /// A record of another key (the node key file was replaced) says nothing about this key; a
    /// malformed record stops signing with an error naming the file.
    @Test func anotherKeysRecordAllowsSigningAndAMalformedOneStopsIt() throws {
        let home = try TemporaryHome()
        let store = try home.registry().store
        let key = Identity.generate()
        let nodeGuard = NodeFeedGuard(home: home.home)
        try FeedHeadRecord(key: Identity.generate().publicKey, seq: 5, id: EventID(bytes: [UInt8](repeating: 1, count: 32))).write(to: home.home.nodeHeadURL)
        #expect(try store.appendSigned(Self.observations(1, tag: 8), by: key, timestamp: 1, signingGuard: nodeGuard).map(\.seq) == [1])

        for garbage in ["", "agora-feed-head-v1\nnot hex\n1\n-\n", String(repeating: "x", count: 4096)] {
            try Data(garbage.utf8).write(to: home.home.nodeHeadURL)
            let error = try #require(throws: RegistryError.self) {
                try store.appendSigned(Self.observations(1, tag: 9), by: key, timestamp: 1, signingGuard: nodeGuard)
            }
            #expect(error.description.contains("node.head"))
        }
        #expect(try store.head(of: key.publicKey)?.seq == 1)
    }
}
