import AgoraCore
import Testing
import AgoraStore
import AgoraTestSupport
@testable import AgoraViews

/// Versions that differ only in `+build` metadata are one version in every view: the first
/// release by a principal wins whatever the arrival order, yanks find it by either spelling,
/// and lookups by version text ignore the build.
@Suite struct BuildMetadataFoldTests {
    let json = PackageKey(scope: "acme", name: "json")

    @Test func buildVariantsAreOneRelease() throws {
        var alice = FeedBuilder(seed: 1)
        let first = alice.publish("acme", "json", "1.0.0+a", digestByte: 1)
        alice.publish("acme", "json", "1.0.0+b", digestByte: 2)
        alice.publish("acme", "json", "1.0.0", digestByte: 3)
        alice.yank("acme", "json", "1.0.0+zzz", reason: "broken")
        var rng = SeededGenerator(seed: 5)
        for _ in 0..<20 {
            let events = alice.events.shuffled(using: &rng)
            let state = try #require(PackageFold.fold(package: json, events: events, principals: { $0 }))
            #expect(state.releases.count == 1)
            #expect(state.releases[0].event == first.id)
            #expect(state.releases[0].yanked && state.releases[0].yankReason == "broken")
            for spelling in ["1.0.0", "1.0.0+a", "1.0.0+other"] { #expect(state.releases(of: spelling).map(\.event) == [first.id]) }
            #expect(state.releases(of: "1.0.0-rc.1").isEmpty)
        }
    }

    @Test func storedViewsAgreeWithAReplay() throws {
        var alice = FeedBuilder(seed: 1)
        alice.publish("acme", "json", "2.0.0+x", digestByte: 1)
        alice.publish("acme", "json", "2.0.0+y", digestByte: 2)
        let directory = try TemporaryDirectory()
        let store = try RegistryViewsTestSupport.openRegistryStore(directory)
        _ = try store.append(alice.events, verification: .chain)
        #expect(try store.packageState(json)?.releases.map(\.version) == ["2.0.0+x"])
        #expect(try store.verifyViews().equal)
    }
}
