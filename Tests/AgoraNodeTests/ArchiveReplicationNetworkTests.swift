import AgoraBlob
import AgoraCore
import AgoraNode
import AgoraRegistry
import AgoraStore
import AgoraTestSupport
import AgoraWire
import Foundation
import Testing

/// Archives between nodes on loopback: install from a node never met, mirrors catching up,
/// corrupt sources routed around.
@Suite struct ArchiveReplicationNetworkTests {
    /// A publishes; a mirror M follows A; a fresh home C reaches only M. C's install syncs
    /// the log, fetches the archive and installs it, without ever connecting to A.
    @Test func installOnAHomeThatNeverSawThePackage() async throws {
        let a = try RegistryTestNode(host: "127.0.0.41")
        let mirror = try RegistryTestNode(host: "127.0.0.42", mirror: true)
        let c = try RegistryTestNode(host: "127.0.0.43")
        let digest = try a.publish("acme", "widget", "1.2.0", size: 300_000, seed: 5)
        try await a.start()
        try await mirror.start(bootstrap: a.addresses)
        try await eventually("the mirror holds the archive") { try mirror.store.hasBlob(digest) }

        let request = try PackageRequest(parsing: "acme/widget@^1.0")
        #expect(throws: RegistryError.self) { try c.registry.archivesNeeded(for: request) }
        let target = c.directory.url.appendingPathComponent("installed", isDirectory: true)
        try await NetworkClient.with(store: c.store, peers: mirror.addresses, host: RegistryTestNode.patientHost) { client in
            #expect(try await client.catchUp(within: .seconds(60)))
            let needed = try c.registry.archivesNeeded(for: request)
            #expect(needed.map(\.digest) == [digest])
            try await client.fetchAll(needed.map(\.digest))
            #expect(await !client.node.host.connectedPeers.contains(a.peerID))
        }
        let result = try c.registry.install(request, into: target)
        #expect(result.installed.map(\.version) == ["1.2.0"])
        let installed = try Data(contentsOf: target.appendingPathComponent("acme/widget/payload.bin"))
        #expect(installed.count == 300_000)
        await mirror.stop()
        await a.stop()
    }

    /// A mirror stopped while its peer publishes more fetches the new archives after its
    /// restart, and only those.
    @Test func aRestartedMirrorFetchesOnlyTheArchivesItLacks() async throws {
        let a = try RegistryTestNode(host: "127.0.0.44")
        let mirror = try RegistryTestNode(host: "127.0.0.45", mirror: true)
        let first = try (0..<2).map { try a.publish("acme", "early\($0)", "1.0.0", seed: UInt64($0)) }
        try await a.start()
        try await mirror.start(bootstrap: a.addresses)
        try await eventually("the mirror holds the first archives") { try first.allSatisfy { try mirror.store.hasBlob($0) } }
        #expect(await mirror.blobs.statistics.fetched == 2)
        await mirror.stop()

        let later = try (0..<3).map { try a.publish("acme", "late\($0)", "1.0.0", seed: UInt64(10 + $0)) }
        try await mirror.start(bootstrap: a.addresses)
        try await eventually("the mirror caught up") { try (first + later).allSatisfy { try mirror.store.hasBlob($0) } }
        // Give a wrong implementation the chance to re-fetch before counting.
        try await Task.sleep(for: .milliseconds(500))
        #expect(await mirror.blobs.statistics.fetched == 3, "the two archives it had were not fetched again")
        await mirror.stop()
        await a.stop()
    }

    /// A source whose chunks contradict the manifest is penalised and the archive still
    /// arrives from the honest source; with only corrupt sources the fetch fails as corrupt.
    @Test func aPeerServingCorruptChunksIsPenalisedAndTheDownloadCompletes() async throws {
        let publisher = try RegistryTestNode(host: "127.0.0.46")
        let digest = try publisher.publish("acme", "big", "1.0.0", size: 2 << 20, seed: 9)
        let (honest, evil) = try await Self.honestAndCorruptSources(serving: publisher.store)
        try await withRunningHost(honest) { honest in
            try await withRunningHost(evil) { evil in
                _ = try await honest.listen(on: Multiaddr(parsing: "/ip4/127.0.0.47/tcp/0"))
                _ = try await evil.listen(on: Multiaddr(parsing: "/ip4/127.0.0.48/tcp/0"))
                let honestAddress = try #require(await honest.listenAddresses.first).withPeerID(honest.peerID)
                let evilAddress = try #require(await evil.listenAddresses.first).withPeerID(evil.peerID)

                let alone = try RegistryTestNode(host: "127.0.0.49")
                try await NetworkClient.with(store: alone.store, peers: [evilAddress], host: RegistryTestNode.patientHost) { client in
                    await #expect(throws: BlobError.self) { _ = try await client.blobs.fetch(digest) }
                }
                #expect(try !alone.store.hasBlob(digest), "nothing from the corrupt source was stored")

                let client = try RegistryTestNode(host: "127.0.0.50")
                try await NetworkClient.with(store: client.store, peers: [honestAddress, evilAddress], host: RegistryTestNode.patientHost) { network in
                    try await eventually("both sources are connected") { await network.node.host.connectedPeers.count == 2 }
                    let report = try await network.blobs.fetch(digest)
                    #expect(report.corruptPeers == [evil.peerID])
                    #expect(report.chunksFetched.keys.sorted { $0.base58 < $1.base58 } == [honest.peerID], "every verified chunk came from the honest source")
                    #expect(network.blobs.penalties.isPenalised(evil.peerID))
                    #expect(!network.blobs.penalties.isPenalised(honest.peerID))
                }
                let expected = try publisher.store.blobSize(digest)
                #expect(try client.store.blob(digest)?.count == expected)
            }
        }
    }

    /// Two hosts serving the archives of `store`: one honest, one that flips a bit in every
    /// chunk. The honest one holds its chunks back until the corrupt one has sent one, so the
    /// corrupt source is certainly asked (no race with a fast honest download).
    static func honestAndCorruptSources(serving store: Store) async throws -> (honest: P2PHost, evil: P2PHost) {
        let server = BlobServer(store: store)
        let evilServed = Gate()
        let honest = P2PHost(identity: Identity.generate(), configuration: RegistryTestNode.patientHost)
        let evil = P2PHost(identity: Identity.generate(), configuration: RegistryTestNode.patientHost)
        try await honest.handle(BlobProtocol.id) { stream in
            try await Self.serve(stream, server: server) { response in
                if case .chunk = response { await evilServed.wait(upTo: .seconds(30)) }
                return response
            }
        }
        try await evil.handle(BlobProtocol.id) { stream in
            try await Self.serve(stream, server: server) { response in
                guard case .chunk(var bytes) = response, !bytes.isEmpty else { return response }
                bytes[bytes.count / 2] ^= 0x01
                await evilServed.open()
                return .chunk(bytes)
            }
        }
        return (honest, evil)
    }

    /// Serves blob requests from `server`, passing each answer through `alter`.
    static func serve(_ stream: P2PStream, server: BlobServer, alter: @Sendable (BlobResponse) async -> BlobResponse) async throws {
        while let frame = try await stream.readLengthPrefixed(maxLength: BlobProtocol.maxRequestLength) {
            let response = await alter(try await server.answer(BlobRequest(decoding: frame)))
            try await stream.writeLengthPrefixed(response.encoded())
        }
    }
}
