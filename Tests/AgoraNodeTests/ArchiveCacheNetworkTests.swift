import AgoraBlob
import AgoraCore
import AgoraNode
import AgoraRegistry
import AgoraStore
import AgoraTestSupport
import AgoraWire
import Foundation
import Testing

/// The archive cache of non-mirror nodes on loopback: a budget, LRU eviction updated by
/// fetches and by serving, own and installed archives pinned, and re-fetch after eviction.
@Suite struct ArchiveCacheNetworkTests {
    @Test func evictedArchivesComeBackAndPinsHold() async throws {
        let publisher = try RegistryTestNode(host: "127.0.0.91")
        let digests = try (0..<4).map { try publisher.publish("acme", "pkg\($0)", "1.0.0", size: 200_000, seed: UInt64(40 + $0)) }
        let size = try #require(try publisher.store.blobSize(digests[0]))
        // The publisher keeps nothing of others, yet all its own archives: they are pinned.
        publisher.node.archiveCacheBytes = 1
        try await publisher.start()
        #expect(try publisher.store.evictBlobs(toFit: 1).isEmpty)
        #expect(try digests.allSatisfy { try publisher.store.hasBlob($0) })

        let node = try RegistryTestNode(host: "127.0.0.92")
        node.node.archiveCacheBytes = UInt64(2 * size + size / 2)
        try await node.start(bootstrap: publisher.addresses)
        try await eventually("the node synced the releases") { try node.store.lastLocalSeq() >= 4 }
        try await eventually("the node is connected") { await !(node.node.node?.host.connectedPeers.isEmpty ?? true) }

        for digest in digests.prefix(3) { _ = try await node.blobs.fetch(digest) }
        // Three fetched into room for two: the least recently used (the first) went.
        #expect(try node.store.hasBlob(digests[0]) == false)
        #expect(try node.store.hasBlob(digests[1]) && node.store.hasBlob(digests[2]))

        // A third node fetches archive 1 from this node alone: serving is a use, so archive 2
        // is now the least recently used one.
        let reader = try RegistryTestNode(host: "127.0.0.93")
        try await NetworkClient.with(store: reader.store, peers: node.addresses, dht: false, host: RegistryTestNode.patientHost) { client in
            _ = try await client.blobs.fetch(digests[1])
        }
        _ = try await node.blobs.fetch(digests[0])
        #expect(try node.store.hasBlob(digests[0]), "an evicted archive is fetched again")
        #expect(try node.store.hasBlob(digests[1]), "served recently: kept")
        #expect(try node.store.hasBlob(digests[2]) == false, "least recently used: evicted")
        #expect(try node.store.blob(digests[0]) == publisher.store.blob(digests[0]))

        // An install pins its archive: fetching past the budget evicts around it.
        let folder = node.directory.url.appendingPathComponent("project", isDirectory: true)
        _ = try node.registry.install(try PackageRequest(parsing: "acme/pkg0@1.0.0"), into: folder)
        #expect(try node.store.blobPins()[digests[0]] == [folder.standardizedFileURL.path])
        _ = try await node.blobs.fetch(digests[2])
        _ = try await node.blobs.fetch(digests[3])
        #expect(try node.store.hasBlob(digests[0]), "installed: pinned")
        #expect(try node.store.hasBlob(digests[3]))
        let usage = try node.store.archiveCacheUsage()
        #expect(usage.bytes <= UInt64(2 * size + size / 2))
        #expect(usage.pinnedArchives == 1)
        await node.stop()
        await publisher.stop()
    }
}
