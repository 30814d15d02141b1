import AgoraCore
import AgoraStore
import AgoraTestSupport
import Foundation
import Testing
@testable import AgoraViews

/// A rotated-away key signs nothing the views accept after its rotation (`KeyRevocations`).
@Suite struct KeyRevocationTests {
    let json = PackageKey(scope: "acme", name: "json")

    func fold(_ events: [Event], key: PackageKey? = nil) -> PackageState? {
        PackageFold.fold(package: key ?? json, events: events, principals: PrincipalMap(events: events).principal(of:))
    }

    func scope(_ events: [Event]) -> ScopeState {
        ScopeFold.fold(scope: "acme", events: events, principals: PrincipalMap(events: events).principal(of:))
    }

    /// An event of `builder`'s key at `seq` after the builder's event at `seq - 1`: a second
    /// event for a feed position, as a thief holding the key could sign.
    func equivocating(_ builder: FeedBuilder, seq: UInt64, _ body: EventBody) throws -> Event {
        let prev = seq > 1 ? builder.events[Int(seq) - 2].id : nil
        return try Event.sign(by: builder.identity, seq: seq, prev: prev, timestamp: 999, body: body)
    }

    func release(_ version: String, byte: UInt8 = 9) -> EventBody {
        .releasePublished(ReleasePublished(
            scope: "acme", name: "json", version: version,
            manifest: Manifest(scope: "acme", name: "json", version: version, description: "d").canonicalJSON(),
            archiveDigest: [UInt8](repeating: byte, count: 32), archiveSize: 1))
    }

    @Test func retiredKeySignsNothingAfterItsRotation() throws {
        var old = FeedBuilder(seed: 1)
        var new = FeedBuilder(seed: 2)
        let thief = try Identity(seed: [UInt8](repeating: 3, count: 32))
        var eve = FeedBuilder(seed: 4)
        old.publish("acme", "json", "1.0.0")
        old.rotate(to: new.identity)
        old.publish("acme", "json", "2.0.0")
        old.yank("acme", "json", "1.0.0", reason: "stolen key")
        old.transfer("acme", to: eve.key)
        old.rotate(to: thief)
        new.publish("acme", "json", "1.1.0")
        eve.publish("acme", "json", "9.0.0")
        let events = old.events + new.events + eve.events
        let state = try #require(fold(events))
        let mine = state.releases.filter { $0.principal == old.key }
        #expect(mine.map(\.version).sorted() == ["1.0.0", "1.1.0"])
        #expect(mine.allSatisfy { !$0.yanked })
        // The transfer after the rotation authorised nobody: eve's release contests the scope.
        #expect(state.contested)
        #expect(scope(events).contested)
        // The further rotation links nothing: the thief's key is its own principal.
        let map = PrincipalMap(events: events)
        #expect(map.principal(of: thief.publicKey) == thief.publicKey)
        #expect(map.principal(of: new.key) == old.key)
    }

    @Test func atTheRotationSeqOnlyTheRotationCounts() throws {
        var old = FeedBuilder(seed: 1)
        var new = FeedBuilder(seed: 2)
        old.publish("acme", "json", "1.0.0")
        old.rotate(to: new.identity)
        new.publish("acme", "json", "1.1.0")
        let atRotation = try equivocating(old, seq: 2, release("6.6.6"))
        let events = old.events + new.events + [atRotation]
        let state = try #require(fold(events))
        #expect(Set(state.releases.map(\.version)) == ["1.0.0", "1.1.0"])
        #expect(!state.contested)
    }

    @Test func eventsBelowTheRotationSeqStillCount() throws {
        var old = FeedBuilder(seed: 1)
        let new = FeedBuilder(seed: 2)
        old.publish("acme", "json", "1.0.0")
        old.publish("acme", "json", "1.0.1")
        old.rotate(to: new.identity)
        // Signed for seq 2, before the rotation at seq 3: cannot be told from the owner's own.
        let below = try equivocating(old, seq: 2, release("1.0.2", byte: 4))
        let state = try #require(fold(old.events + new.events + [below]))
        #expect(Set(state.releases.map(\.version)) == ["1.0.0", "1.0.1", "1.0.2"])
    }

    @Test func racingRotationsRetireTheKeyAndAdoptNeither() throws {
        var old = FeedBuilder(seed: 1)
        let owner = try Identity(seed: [UInt8](repeating: 2, count: 32))
        let thief = try Identity(seed: [UInt8](repeating: 3, count: 32))
        old.publish("acme", "json", "1.0.0")
        old.rotate(to: owner)
        let race = try equivocating(old, seq: 2, .keyRotated(KeyRotated(
            newKey: thief.publicKey,
            newKeySignature: try thief.sign(KeyRotated.countersignedMessage(old: old.key, new: thief.publicKey)))))
        old.publish("acme", "json", "2.0.0")
        for events in [old.events + [race], [race] + old.events.reversed()] {
            let map = PrincipalMap(events: events)
            #expect(map.principal(of: owner.publicKey) == owner.publicKey)
            #expect(map.principal(of: thief.publicKey) == thief.publicKey)
            #expect(fold(events)?.releases.map(\.version) == ["1.0.0"])
        }
        // A single rotation to one key (even signed twice) is no race.
        let same = try equivocating(old, seq: 2, old.events[1].decodedBodyOrNil!)
        #expect(KeyRevocations(events: [old.events[1], same]).adopts(try #require(rotation(in: same)), in: same))
    }

    func rotation(in event: Event) -> KeyRotated? {
        if case .keyRotated(let body)? = try? event.decodedBody() { return body }
        return nil
    }

    /// Generated histories: several keys publish, yank, transfer and rotate (some more than
    /// once) at random points. For every seed the folds agree under shuffles and duplicates,
    /// and no release, yank or link of a retired key's later events survives.
    @Test(arguments: 0..<40)
    func generatedHistoriesFoldTheSameInAnyOrder(seed: UInt64) throws {
        var rng = SeededGenerator(seed: 0xA60A + seed)
        var feeds = (1...5).map { FeedBuilder(seed: UInt8($0)) }
        var retiredAt: [PublicKey: UInt64] = [:]
        for step in 0..<60 {
            let who = Int.random(in: 0..<feeds.count, using: &rng)
            let version = "1.\(Int.random(in: 0..<8, using: &rng)).0"
            switch Int.random(in: 0..<10, using: &rng) {
            case 0:
                let target = feeds[(who + 1 + Int.random(in: 0..<(feeds.count - 1), using: &rng)) % feeds.count]
                let event = feeds[who].rotate(to: target.identity)
                if retiredAt[feeds[who].key] == nil { retiredAt[feeds[who].key] = event.seq }
            case 1, 2: feeds[who].yank("acme", "json", version, reason: "r\(step)")
            case 3: feeds[who].transfer("acme", to: feeds[Int.random(in: 0..<feeds.count, using: &rng)].key)
            default: feeds[who].publish("acme", "json", version, digestByte: UInt8(step))
            }
        }
        let events = feeds.flatMap(\.events)
        let reference = fold(events)
        let referenceScope = scope(events).encoded()
        for release in reference?.releases ?? [] {
            #expect(release.seq < retiredAt[release.author] ?? .max)
        }
        let map = PrincipalMap(events: events)
        for (new, old) in map.predecessor {
            let link = events.first { event in
                guard event.author == old, let body = rotation(in: event) else { return false }
                return body.newKey == new
            }
            #expect(link?.seq == retiredAt[old])
        }
        for _ in 0..<20 {
            var shuffled = events.shuffled(using: &rng)
            shuffled += shuffled.prefix(Int.random(in: 0...4, using: &rng))
            #expect(fold(shuffled)?.encoded() == reference?.encoded())
            #expect(scope(shuffled).encoded() == referenceScope)
            #expect(PrincipalMap(events: shuffled) == map)
        }
    }

    /// The LMDB views reach the same bytes whatever the interleaving and batching, and the
    /// audit's rebuild agrees.
    @Test func storeViewsAgreeAcrossArrivalOrders() throws {
        var old = FeedBuilder(seed: 1)
        var new = FeedBuilder(seed: 2)
        var other = FeedBuilder(seed: 3)
        old.publish("acme", "json", "1.0.0")
        new.publish("acme", "json", "1.5.0")
        old.rotate(to: new.identity)
        old.publish("acme", "json", "2.0.0")
        old.yank("acme", "json", "1.0.0", reason: "after")
        other.publish("acme", "json", "3.0.0")
        old.rotate(to: other.identity)
        var rng = SeededGenerator(seed: 7)
        var reference: [String: [UInt8]]?
        for _ in 0..<6 {
            let directory = try TemporaryDirectory()
            let store = try RegistryViewsTestSupport.openRegistryStore(directory)
            let order = RegistryViewsTestSupport.interleave([old.events, new.events, other.events], using: &rng)
            #expect(try RegistryViewsTestSupport.appendInBatches(order, to: store, maxBatch: 3, using: &rng))
            let snapshot = try RegistryViewsTestSupport.snapshot(store)
            if let reference { #expect(snapshot == reference) } else { reference = snapshot }
            #expect(try store.verifyViews().equal)
            let state = try #require(try store.packageState(json))
            #expect(Set(state.releases.filter { $0.principal == old.key }.map(\.version)) == ["1.0.0", "1.5.0"])
            #expect(state.releases.allSatisfy { !$0.yanked })
            #expect(try store.principal(of: other.key) == other.key)
        }
    }

    /// Scopes pass between keys that later rotate (what a rotation re-folds comes from its
    /// key's feed and `transfersTo`): every interleaving and batching of a generated history
    /// reaches the same view bytes as a rebuild of the same log.
    @Test(arguments: 0..<6)
    func storeViewsOfGeneratedTransfersAndRotationsAgree(seed: UInt64) throws {
        var rng = SeededGenerator(seed: 0x7F0 + seed)
        var feeds = (1...4).map { FeedBuilder(seed: UInt8(20 + $0)) }
        for step in 0..<60 {
            let who = Int.random(in: 0..<feeds.count, using: &rng)
            let scope = ["acme", "tools", "web", "data", "ml", "cli"].randomElement(using: &rng)!
            switch Int.random(in: 0..<8, using: &rng) {
            case 0:
                let target = feeds[(who + 1 + Int.random(in: 0..<(feeds.count - 1), using: &rng)) % feeds.count]
                feeds[who].rotate(to: target.identity)
            case 1, 2: feeds[who].transfer(scope, to: feeds[Int.random(in: 0..<feeds.count, using: &rng)].key)
            case 3: feeds[who].yank(scope, "json", "1.\(step % 4).0", reason: "r\(step)")
            default: feeds[who].publish(scope, "json", "1.\(step).0", digestByte: UInt8(step))
            }
        }
        var reference: [String: [UInt8]]?
        for _ in 0..<4 {
            let directory = try TemporaryDirectory()
            let store = try RegistryViewsTestSupport.openRegistryStore(directory)
            let order = RegistryViewsTestSupport.interleave(feeds.map(\.events), using: &rng)
            #expect(try RegistryViewsTestSupport.appendInBatches(order, to: store, maxBatch: 2, using: &rng))
            let snapshot = try RegistryViewsTestSupport.snapshot(store)
            if let reference { #expect(snapshot == reference, "seed \(seed)") } else { reference = snapshot }
            #expect(try store.verifyViews().equal, "seed \(seed)")
        }
    }
}

extension Event {
    var decodedBodyOrNil: EventBody? { try? decodedBody() }
}
