import AgoraCore
import AgoraTestSupport
import Testing
@testable import AgoraDHT

@Suite struct ProviderStoreTests {
    @Test func recordsExpireAndAreRefreshedByReannouncing() {
        var store = ProviderStore<Int, Int>(limits: .init(expiry: .seconds(100)))
        #expect(store.add(1, for: 7, now: .zero) == .added)
        #expect(store.add(2, for: 7, now: .seconds(50)) == .added)
        #expect(store.providers(for: 7, now: .seconds(99)) == [2, 1])
        #expect(store.providers(for: 7, now: .seconds(100)) == [2])
        // Expired but not yet dropped: re-announcing renews it.
        #expect(store.add(1, for: 7, now: .seconds(120)) == .refreshed)
        store.expire(now: .seconds(151))
        #expect(store.providers(for: 7, now: .seconds(151)) == [1])
        #expect(store.count == 1)
        #expect(store.add(1, for: 7, now: .seconds(200)) == .refreshed)
        #expect(store.providers(for: 7, now: .seconds(250)) == [1])
    }

    @Test(arguments: [1, 2, 3] as [UInt64]) func boundsHoldWhateverPeersAnnounce(seed: UInt64) {
        var random = SeededGenerator(seed: seed)
        let limits = ProviderStore<Int, Int>.Limits(maxRecords: 500, maxProvidersPerKey: 8, maxRecordsPerProvider: 40, expiry: .seconds(1000))
        var store = ProviderStore<Int, Int>(limits: limits)
        var outcomes: [ProviderStore<Int, Int>.Outcome: Int] = [:]
        for step in 0..<20_000 {
            // A few hostile peers announce a lot; many keys, some hot.
            let provider = Int.random(in: 0..<4, using: &random) == 0 ? Int.random(in: 0..<3, using: &random) : Int.random(in: 0..<400, using: &random)
            let key = Int.random(in: 0..<3, using: &random) == 0 ? 0 : Int.random(in: 0..<5000, using: &random)
            let outcome = store.add(provider, for: key, now: .milliseconds(step * 10))
            outcomes[outcome, default: 0] += 1
            #expect(store.count <= limits.maxRecords)
            #expect(store.recordCount(of: provider) <= limits.maxRecordsPerProvider)
            #expect(store.providers(for: key, now: .milliseconds(step * 10)).count <= limits.maxProvidersPerKey)
            if step % 5000 == 4999 { store.expire(now: .milliseconds(step * 10)) }
        }
        #expect(outcomes[.storeFull, default: 0] > 0)
        #expect(outcomes[.keyFull, default: 0] > 0)
        #expect(outcomes[.providerOverQuota, default: 0] > 0)
    }

    @Test func republishesOnSchedule() {
        var schedule = ProvideSchedule<String>(republishInterval: .seconds(22))
        schedule.add("a", due: .zero)
        schedule.add("b", due: .seconds(5))
        #expect(schedule.takeDue(now: .seconds(1)) == ["a"])
        #expect(schedule.takeDue(now: .seconds(6)) == ["b"])
        #expect(schedule.takeDue(now: .seconds(20)).isEmpty)
        #expect(schedule.nextDeadline == .seconds(23))
        #expect(schedule.takeDue(now: .seconds(30)) == ["a", "b"])
    }
}

@Suite struct FeedHeadValidatorTests {
    let author = Identity(privateKey: .init())

    func head(_ seq: UInt64, by identity: Identity? = nil, id: UInt8 = 1) throws -> SignedFeedHead {
        try SignedFeedHead.sign(seq: seq, head: EventID(bytes: [UInt8](repeating: id, count: 32)), by: identity ?? author)
    }

    @Test func acceptsAValidHeadAndPicksTheHighestSequence() throws {
        let key = DHTNames.feedHeadKey(author: author.publicKey)
        let five = try head(5)
        #expect(try FeedHeadValidator.validate(key: key, value: five.encoded) == five)
        try FeedHeadValidator.select(stored: nil, offered: five)
        try FeedHeadValidator.select(stored: five, offered: try head(6))
        try FeedHeadValidator.select(stored: five, offered: five)
        #expect(throws: FeedHeadRecordError.stale(have: 5, offered: 4)) { try FeedHeadValidator.select(stored: five, offered: try head(4)) }
        #expect(throws: FeedHeadRecordError.conflictingHead(seq: 5)) { try FeedHeadValidator.select(stored: five, offered: try head(5, id: 2)) }
    }

    @Test func rejectsForgedUnsignedAndMisplacedRecords() throws {
        let key = DHTNames.feedHeadKey(author: author.publicKey)
        let thief = Identity(privateKey: .init())
        // Signed by someone else, filed under the author's key.
        #expect(throws: FeedHeadRecordError.keyMismatch) { try FeedHeadValidator.validate(key: key, value: try head(9, by: thief).encoded) }
        // The author's key and fields, the thief's signature.
        let genuine = try head(9)
        let forged = SignedFeedHead(author: author.publicKey, seq: 10, head: genuine.head, signature: genuine.signature)
        #expect(throws: FeedHeadRecordError.badSignature) { try FeedHeadValidator.validate(key: key, value: forged.encoded) }
        let unsigned = SignedFeedHead.unsignedBytes(author: author.publicKey, seq: 9, head: genuine.head)
        #expect(throws: FeedHeadRecordError.unsigned) { try FeedHeadValidator.validate(key: key, value: unsigned) }
        #expect(throws: FeedHeadRecordError.notOurNamespace) { try FeedHeadValidator.validate(key: Array("/pk/x".utf8), value: genuine.encoded) }
        #expect(throws: FeedHeadRecordError.malformedKey) {
            try FeedHeadValidator.validate(key: Array((DHTNames.feedHeadPrefix + author.publicKey.hex.uppercased()).utf8), value: genuine.encoded)
        }
    }

    @Test(arguments: [1, 2, 3] as [UInt64]) func everyAlteredByteIsRejected(seed: UInt64) throws {
        var random = SeededGenerator(seed: seed)
        let key = DHTNames.feedHeadKey(author: author.publicKey)
        let value = try head(UInt64.random(in: 1...1_000_000, using: &random)).encoded
        for _ in 0..<300 {
            var mutated = value
            switch Int.random(in: 0..<3, using: &random) {
            case 0: mutated[Int.random(in: 0..<mutated.count, using: &random)] ^= UInt8.random(in: 1...255, using: &random)
            case 1: mutated.removeLast(Int.random(in: 1..<mutated.count, using: &random))
            default: mutated.insert(UInt8.random(in: 0...255, using: &random), at: Int.random(in: 0...mutated.count, using: &random))
            }
            #expect(throws: FeedHeadRecordError.self) { try FeedHeadValidator.validate(key: key, value: mutated) }
        }
    }
}

@Suite struct DHTRecordStoreTests {
    @Test func recordsSurviveReopeningAndOnlyNewerOnesReplaceThem() throws {
        let folder = try TemporaryDirectory()
        let author = Identity(privateKey: .init())
        let key = DHTNames.feedHeadKey(author: author.publicKey)
        let three = try SignedFeedHead.sign(seq: 3, head: EventID(hashing: [3]), by: author)
        let four = try SignedFeedHead.sign(seq: 4, head: EventID(hashing: [4]), by: author)
        do {
            var store = try DHTRecordStore(path: folder.path)
            #expect(try store.put(key: key, value: four.encoded, from: [1]) == .stored)
            #expect(try store.put(key: key, value: three.encoded, from: [2]) == .rejected(.stale(have: 4, offered: 3)))
            #expect(try store.put(key: key, value: four.encoded, from: [2]) == .unchanged)
        }
        var reopened = try DHTRecordStore(path: folder.path)
        #expect(try reopened.get(key: key) == four.encoded)
        #expect(reopened.count == 1 && reopened.recordCount(of: [1]) == 1)
        let five = try SignedFeedHead.sign(seq: 5, head: EventID(hashing: [5]), by: author)
        #expect(try reopened.put(key: key, value: five.encoded, from: [2]) == .stored)
        #expect(reopened.count == 1 && reopened.recordCount(of: [1]) == 0 && reopened.recordCount(of: [2]) == 1)
        #expect(try reopened.get(key: Array("/agora-feed-head/00".utf8)) == nil)
    }

    @Test func storageIsBoundedPerPeerAndInTotal() throws {
        let folder = try TemporaryDirectory()
        var store = try DHTRecordStore(path: folder.path, limits: .init(maxRecords: 10, maxRecordsPerPeer: 4))
        var outcomes: [DHTRecordStore.Outcome] = []
        for index in 0..<16 {
            let author = Identity(privateKey: .init())
            let value = try SignedFeedHead.sign(seq: 1, head: EventID(hashing: [UInt8(index)]), by: author).encoded
            outcomes.append(try store.put(key: DHTNames.feedHeadKey(author: author.publicKey), value: value, from: [UInt8(index < 6 ? 0 : index % 3 + 1)]))
        }
        #expect(store.count == 10)
        #expect(outcomes.filter { $0 == .stored }.count == 10)
        #expect(outcomes.contains(.peerOverQuota) && outcomes.contains(.storeFull))
        #expect(store.recordCount(of: [0]) == 4)
        #expect((0..<4).allSatisfy { store.recordCount(of: [UInt8($0)]) <= 4 })
        #expect(try DHTRecordStore(path: folder.path).count == 10)
    }
}
