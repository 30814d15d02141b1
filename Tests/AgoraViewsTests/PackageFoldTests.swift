import AgoraCore
import Testing
import AgoraStore
import AgoraTestSupport
@testable import AgoraViews

@Suite struct PackageFoldTests {
    let json = PackageKey(scope: "acme", name: "json")

    func fold(_ events: [Event], key: PackageKey? = nil) -> PackageState? {
        let principals = PrincipalMap(events: events)
        return PackageFold.fold(package: key ?? json, events: events, principals: principals.principal(of:))
    }

    @Test func releasesAndLatestPerPrincipal() throws {
        var alice = FeedBuilder(seed: 1)
        alice.publish("acme", "json", "1.0.0")
        alice.publish("acme", "JSON", "1.10.0")
        alice.publish("acme", "json", "1.9.0")
        alice.publish("acme", "xml", "9.0.0")
        let state = try #require(fold(alice.events))
        #expect(state.releases.map(\.version) == ["1.0.0", "1.9.0", "1.10.0"])
        #expect(state.latest(of: alice.key)?.version == "1.10.0")
        #expect(state.current?.version == "1.10.0")
        #expect(state.displayName == "json")
        #expect(state.claimants.map(\.principal) == [alice.key])
        #expect(!state.contested)
        #expect(fold(alice.events, key: PackageKey(scope: "acme", name: "nothing")) == nil)
    }

    @Test func sameVersionTwiceKeepsLowerSeq() throws {
        var alice = FeedBuilder(seed: 1)
        let first = alice.publish("acme", "json", "1.0.0", digestByte: 1)
        alice.publish("acme", "json", "1.0.0", digestByte: 2)
        let state = try #require(fold(alice.events.reversed()))
        #expect(state.releases.count == 1)
        #expect(state.releases[0].event == first.id)
        #expect(state.releases[0].archiveDigest == [UInt8](repeating: 1, count: 32))
    }

    @Test func yankAppliesOnlyToTheSamePrincipal() throws {
        var alice = FeedBuilder(seed: 1)
        var mallory = FeedBuilder(seed: 2)
        alice.publish("acme", "json", "1.0.0")
        alice.publish("acme", "json", "2.0.0")
        mallory.yank("acme", "json", "1.0.0", reason: "sabotage")
        alice.yank("acme", "json", "2.0.0", reason: "broken build")
        let state = try #require(fold(mallory.events + alice.events))
        let byVersion = Dictionary(uniqueKeysWithValues: state.releases.map { ($0.version, $0) })
        #expect(byVersion["1.0.0"]?.yanked == false)
        #expect(byVersion["2.0.0"]?.yanked == true)
        #expect(byVersion["2.0.0"]?.yankReason == "broken build")
        #expect(state.latest(of: alice.key)?.version == "1.0.0")
        #expect(state.claimants.count == 1)
    }

    @Test func yankBeforeReleaseInTheSetStillApplies() throws {
        var alice = FeedBuilder(seed: 1)
        alice.publish("acme", "json", "1.0.0")
        alice.yank("acme", "json", "1.0.0", reason: "oops")
        let state = try #require(fold([alice.events[1], alice.events[0]]))
        #expect(state.releases[0].yanked)
        #expect(state.latestByPrincipal.isEmpty)
        #expect(state.current?.version == "1.0.0")
    }

    @Test func twoPrincipalsContest() throws {
        var alice = FeedBuilder(seed: 1)
        var eve = FeedBuilder(seed: 2)
        let aliceRelease = alice.publish("acme", "json", "1.0.0")
        let eveRelease = eve.publish("acme", "json", "1.0.0", digestByte: 9)
        let state = try #require(fold(alice.events + eve.events))
        #expect(state.contested)
        #expect(state.releases.count == 2)
        #expect(Set(state.claimants.map(\.firstRelease)) == [aliceRelease.id, eveRelease.id])
        #expect(state.claimants.allSatisfy { $0.authorisedBy == nil })
    }

    @Test func transferAuthorisesTheReceiverOnly() throws {
        var alice = FeedBuilder(seed: 1)
        var bob = FeedBuilder(seed: 2)
        alice.publish("acme", "json", "1.0.0")
        alice.transfer("acme", to: bob.key)
        bob.publish("acme", "json", "2.0.0")
        let authorised = try #require(fold(alice.events + bob.events))
        #expect(!authorised.contested)
        #expect(authorised.claimants.first { $0.principal == bob.key }?.authorisedBy == alice.key)

        // A transfer for another scope authorises nothing here.
        var carol = FeedBuilder(seed: 3)
        carol.publish("acme", "json", "3.0.0")
        var dave = FeedBuilder(seed: 4)
        dave.publish("other", "thing", "1.0.0")
        dave.transfer("other", to: carol.key)
        #expect(fold(alice.events + carol.events + dave.events)?.contested == true)

        // A stranger who never claimed the scope cannot authorise anyone.
        var stranger = FeedBuilder(seed: 5)
        stranger.transfer("acme", to: carol.key)
        #expect(fold(alice.events.prefix(1) + carol.events + stranger.events)?.contested == true)
    }

    @Test func rotatedKeysAreOnePrincipal() throws {
        var old = FeedBuilder(seed: 1)
        var new = FeedBuilder(seed: 2)
        old.publish("acme", "json", "1.0.0")
        old.rotate(to: new.identity)
        new.publish("acme", "json", "1.1.0")
        new.yank("acme", "json", "1.0.0", reason: "superseded")
        let state = try #require(fold(old.events + new.events))
        #expect(!state.contested)
        #expect(state.claimants.map(\.principal) == [old.key])
        #expect(state.releases.allSatisfy { $0.principal == old.key })
        #expect(state.releases.first { $0.version == "1.0.0" }?.yanked == true)
        #expect(state.releases.first { $0.version == "1.1.0" }?.author == new.key)
    }

    @Test func rotationNeedsTheNewKeysCountersignature() throws {
        var old = FeedBuilder(seed: 1)
        var victim = FeedBuilder(seed: 2)
        let forger = try Identity(seed: [UInt8](repeating: 3, count: 32))
        old.publish("acme", "json", "1.0.0")
        old.rotate(to: victim.identity, countersignedBy: forger)
        victim.publish("acme", "json", "1.1.0")
        let map = PrincipalMap(events: old.events + victim.events)
        #expect(map.principal(of: victim.key) == victim.key)
        #expect(fold(old.events + victim.events)?.contested == true)
    }

    @Test func rotationChainsResolveToTheRootAndCyclesAreCut() {
        var a = FeedBuilder(seed: 1)
        var b = FeedBuilder(seed: 2)
        var c = FeedBuilder(seed: 3)
        a.rotate(to: b.identity)
        b.rotate(to: c.identity)
        c.rotate(to: a.identity)
        let events = a.events + b.events + c.events
        for order in [events, events.reversed()] {
            let map = PrincipalMap(events: order)
            let roots = Set([a.key, b.key, c.key].map(map.principal(of:)))
            #expect(roots.count == 1)
            #expect(map.keys(of: c.key).count == 3)
        }
    }

    @Test func scopeFoldSeesContestsAcrossPackages() throws {
        var alice = FeedBuilder(seed: 1)
        var eve = FeedBuilder(seed: 2)
        alice.publish("acme", "json", "1.0.0")
        eve.publish("acme", "evil", "1.0.0")
        let events = alice.events + eve.events
        let map = PrincipalMap(events: events)
        let scope = ScopeFold.fold(scope: "ACME", events: events, principals: map.principal(of:))
        #expect(scope.scope == "acme")
        #expect(scope.contested)
        #expect(scope.claimants.count == 2)
        #expect(fold(events)?.contested == false)
        #expect(try ScopeState(decoding: scope.encoded()) == scope)
    }

    @Test func recordsRoundTrip() throws {
        var alice = FeedBuilder(seed: 1)
        var bob = FeedBuilder(seed: 2)
        alice.publish("acme", "json", "1.0.0")
        alice.transfer("acme", to: bob.key)
        alice.yank("acme", "json", "1.0.0", reason: "old")
        bob.publish("acme", "json", "2.0.0-beta.1")
        let state = try #require(fold(alice.events + bob.events))
        let decoded = try PackageState(decoding: state.encoded())
        // The record leaves the manifests out: the log holds them, and store reads fill them in.
        var withoutManifests = state
        for index in withoutManifests.releases.indices { withoutManifests.releases[index].manifest = [] }
        #expect(decoded == withoutManifests)
        #expect(decoded.encoded() == state.encoded())
    }

    @Test func corruptRecordsAreRejected() {
        #expect(throws: ViewDecodeError.self) { try PackageState(decoding: [0xff, 0xff]) }
        #expect(throws: ViewDecodeError.self) { try PackageState(decoding: [0x0a, 0x01, 0x41]) }
        #expect(throws: ViewDecodeError.self) { try ScopeState(decoding: [0x10, 0x02]) }
    }

    @Test func foldIsIndependentOfOrder() throws {
        var feeds = (1...4).map { FeedBuilder(seed: UInt8($0)) }
        let keys = feeds.map(\.key)
        var rng = SeededGenerator(seed: 42)
        for step in 0..<40 {
            let who = Int.random(in: 0..<feeds.count, using: &rng)
            let version = "1.\(Int.random(in: 0..<6, using: &rng)).0"
            switch step % 5 {
            case 3: feeds[who].yank("acme", "json", version, reason: "r\(step)")
            case 4 where step == 9: feeds[who].transfer("acme", to: keys[(who + 1) % keys.count])
            case 4 where step == 19: feeds[2].rotate(to: feeds[3].identity)
            default: feeds[who].publish("acme", step % 2 == 0 ? "json" : "Json", version, digestByte: UInt8(step))
            }
        }
        let events = feeds.flatMap(\.events)
        let reference = try #require(fold(events)).encoded()
        let referenceScope = ScopeFold.fold(scope: "acme", events: events, principals: PrincipalMap(events: events).principal(of:)).encoded()
        for _ in 0..<100 {
            var shuffled = events.shuffled(using: &rng)
            shuffled += shuffled.prefix(3)
            #expect(fold(shuffled)?.encoded() == reference)
            let map = PrincipalMap(events: shuffled)
            #expect(ScopeFold.fold(scope: "acme", events: shuffled, principals: map.principal(of:)).encoded() == referenceScope)
        }
    }

    @Test func versionOrder() {
        let sorted = ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11",
                      "1.0.0-rc.1", "1.0.0", "1.0.1", "1.2", "1.10.0", "2.0.0", "26.3"]
        var rng = SeededGenerator(seed: 7)
        for _ in 0..<20 {
            #expect(sorted.shuffled(using: &rng).sorted(by: VersionOrder.precedes) == sorted)
        }
        #expect(VersionOrder.precedes("1.0", "1.0.0"))
        #expect(!VersionOrder.precedes("1.0.0", "1.0"))
    }
}
