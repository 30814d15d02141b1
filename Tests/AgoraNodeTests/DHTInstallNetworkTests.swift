import AgoraBlob
import AgoraCore
import AgoraNode
import AgoraRegistry
import AgoraStore
import AgoraTestSupport
import AgoraViews
import AgoraWire
import Foundation
import Testing

/// Install from a stranger found through the DHT: whole nodes on loopback where the peers an
/// installer reaches lack the package (or its archive), and only the DHT's provider records
/// lead to the node that has it.
@Suite struct DHTInstallNetworkTests {
    /// Twenty relays and a publisher join one DHT. No node replicates another's log
    /// (`followPeers: false`, and the release predates the publisher's start, so gossip never
    /// carries it): the publisher alone holds the package. A fresh home that reaches only
    /// relay 5 cannot resolve the package there, finds the publisher through the DHT, syncs its
    /// feed, downloads the archive and installs it. A second home reaches only a node that
    /// replicated the log but holds no archive: the DHT-backed archive source maps the digest
    /// to its package, finds the publisher and fetches from it.
    /// Peers that run without the DHT (`--dht off`) answer no kad request: the client's first
    /// bootstrap round fails and identify shows no peer serves kad, so a lookup gives up at
    /// once instead of waiting out its hour (the time limit fails a client that waits).
    @Test(.timeLimit(.minutes(2))) func aClientWhosePeersRunWithoutTheDHTDoesNotWaitForIt() async throws {
        let peer = try TestNode(host: "127.0.0.184")
        try await peer.start()
        let fresh = try RegistryTestNode(host: "127.0.0.185")
        try await NetworkClient.with(store: fresh.store, peers: peer.addresses, host: RegistryTestNode.patientHost) { client in
            #expect(await client.discover(scope: "acme", name: "widget", within: .seconds(3600)).isEmpty)
            let dht = try #require(client.dht)
            #expect(await !dht.joined(within: .seconds(3600)))
        }
        await peer.stop()
    }

    @Test func installFromAStrangerFoundThroughTheDHT() async throws {
        let relays = try (0..<20).map { try TestNode(host: "127.0.0.\(160 + $0)", followPeers: false) }
        let modules = relays.map { NodeDHTNetworkTests.dht($0) }
        let publisher = try RegistryTestNode(host: "127.0.0.180", followPeers: false, dht: true)
        let digest = try publisher.publish("acme", "widget", "2.1.0", size: 300_000, seed: 21)
        let payload = try Data(contentsOf: publisher.directory.url.appendingPathComponent("src-widget-2.1.0/payload.bin"))

        try await relays[0].start(protocols: [modules[0]])
        for index in 1..<relays.count {
            try await relays[index].start(bootstrap: relays[0].addresses, protocols: [modules[index]])
        }
        try await publisher.start(bootstrap: relays[0].addresses)
        // A lookup waits out peers too loaded to answer (30 s request timeout): long deadlines.
        try await eventually("a relay finds the publisher as the package's provider", within: .seconds(180)) {
            await modules[13].findProviders(scope: "acme", name: "widget").map(\.peer) == [publisher.peerID]
        }
        #expect(try relays[5].store.packageState(PackageKey(scope: "acme", name: "widget")) == nil, "relays do not replicate the log")

        // 1. The package is unknown to everyone the installer reaches.
        let fresh = try RegistryTestNode(host: "127.0.0.181")
        let request = try PackageRequest(parsing: "acme/widget@^2.0")
        try await NetworkClient.with(
            store: fresh.store, peers: relays[5].addresses, dhtRequestTimeout: .seconds(30), host: RegistryTestNode.patientHost
        ) { client in
            try await client.catchUp(within: .seconds(60))
            #expect(throws: RegistryError.self) { try fresh.registry.archivesNeeded(for: request) }
            #expect(await !client.node.host.connectedPeers.contains(publisher.peerID))
            let found = await client.discover(scope: "acme", name: "widget", within: .seconds(60))
            #expect(found == [publisher.peerID])
            #expect(try await client.catchUp(within: .seconds(60), required: found))
            let needed = try fresh.registry.archivesNeeded(for: request)
            #expect(needed.map(\.digest) == [digest])
            try await client.fetchAll(needed.map(\.digest))
        }
        try Self.expectInstalled(request, on: fresh, payload: payload)

        // 2. The installer's peer knows the package but holds no archive.
        let follower = try TestNode(host: "127.0.0.182")
        try await follower.start(bootstrap: publisher.addresses, protocols: [NodeDHTNetworkTests.dht(follower)])
        try await eventually("the follower replicated the release") {
            try follower.store.packageState(PackageKey(scope: "acme", name: "widget")) != nil
        }
        #expect(try !follower.store.hasBlob(digest))
        let second = try RegistryTestNode(host: "127.0.0.183")
        try await NetworkClient.with(
            store: second.store, peers: follower.addresses, dhtRequestTimeout: .seconds(30), host: RegistryTestNode.patientHost
        ) { client in
            #expect(try await client.catchUp(within: .seconds(60)))
            let needed = try second.registry.archivesNeeded(for: request)
            #expect(needed.map(\.digest) == [digest])
            #expect(await !client.node.host.connectedPeers.contains(publisher.peerID))
            let dht = try #require(client.dht)
            let named = await DHTArchiveProviders(dht: dht, store: second.store).providers(of: digest, limit: 4)
            #expect(named.map(\.peerID) == [publisher.peerID], "the digest maps to the package, whose provider is the publisher")
            try await client.fetchAll(needed.map(\.digest))
            #expect(await client.node.host.connectedPeers.contains(publisher.peerID), "the DHT led to the publisher")
        }
        try Self.expectInstalled(request, on: second, payload: payload)

        // 3. The installer reaches only the publisher of a package whose dependency (widget)
        // that node never replicated: the dependency, too, is found through the DHT.
        let dependent = try RegistryTestNode(host: "127.0.0.186", followPeers: false, dht: true)
        let gadget = try dependent.publish("tools", "gadget", "1.0.0", size: 50_000, seed: 23, dependencies: ["acme/widget": "^2.0"])
        try await dependent.start(bootstrap: relays[0].addresses)
        try await eventually("the dependent package's publisher has joined the DHT", within: .seconds(180)) {
            await modules[13].findProviders(scope: "tools", name: "gadget").map(\.peer) == [dependent.peerID]
        }
        let third = try RegistryTestNode(host: "127.0.0.187")
        let both = try PackageRequest(parsing: "tools/gadget@1.0.0")
        try await NetworkClient.with(
            store: third.store, peers: dependent.addresses, dhtRequestTimeout: .seconds(30), host: RegistryTestNode.patientHost
        ) { client in
            try await client.catchUp(within: .seconds(60))
            #expect(try dependent.store.packageState(PackageKey(scope: "acme", name: "widget")) == nil)
            let unknown = try #require(throws: RegistryError.self) { try third.registry.archivesNeeded(for: both) }
            #expect(unknown.unknownPackage == (try PackageIdentity(parsing: "acme/widget")))
            let known = try await client.discoverUntilKnown(within: .seconds(60)) {
                do {
                    _ = try third.registry.archivesNeeded(for: both)
                    return nil
                } catch let error as RegistryError {
                    return error.unknownPackage.map { ($0.scope, $0.name) }
                }
            }
            #expect(known)
            let needed = try third.registry.archivesNeeded(for: both)
            #expect(Set(needed.map(\.digest)) == [digest, gadget])
            try await client.fetchAll(needed.map(\.digest))
        }
        let target = third.directory.url.appendingPathComponent("installed", isDirectory: true)
        #expect(Set(try third.registry.install(both, into: target).installed.map(\.package)) == ["tools/gadget", "acme/widget"])
        #expect(try Data(contentsOf: target.appendingPathComponent("acme/widget/payload.bin")) == payload)

        await dependent.stop()
        await follower.stop()
        await publisher.stop()
        for relay in relays.reversed() { await relay.stop() }
    }

    /// Installs through the registry (which checks the archive against its signed digest) and
    /// compares the unpacked file with what was published.
    static func expectInstalled(_ request: PackageRequest, on node: RegistryTestNode, payload: Data) throws {
        let target = node.directory.url.appendingPathComponent("installed", isDirectory: true)
        let result = try node.registry.install(request, into: target)
        #expect(result.installed.map(\.version) == ["2.1.0"])
        #expect(try Data(contentsOf: target.appendingPathComponent("acme/widget/payload.bin")) == payload)
    }
}
