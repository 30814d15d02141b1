import AgoraBlob
import AgoraCore
import AgoraMigrations
import AgoraStore
import AgoraTestSupport
import AgoraWire
import Foundation
import NIOPosix
import Testing

/// Hosts on loopback, each with its own store: sources serve `/agora/blob/1.0.0`.
final class BlobCluster: @unchecked Sendable {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
    var hosts: [P2PHost] = []
    var stores: [Store] = []
    var directories: [TemporaryDirectory] = []
    var tasks: [Task<Void, Never>] = []

    init(count: Int) async throws {
        for node in 0..<count {
            var configuration = HostConfiguration(streamNegotiationTimeout: .seconds(60))
            configuration.upgrade.timeout = .seconds(60)
            let host = P2PHost(identity: try Identity(seed: [77, UInt8(node)] + Array(repeating: 0, count: 30)), configuration: configuration, group: group)
            let directory = try TemporaryDirectory()
            stores.append(try Store(directory: directory.url.appendingPathComponent("store"), migrations: AgoraMigrations.all, views: nil))
            directories.append(directory)
            _ = try await host.listen(on: Multiaddr(parsing: "/ip4/127.0.0.1/tcp/0"))
            hosts.append(host)
            tasks.append(Task { try? await host.run() })
        }
    }

    /// Serves the store's blobs; `corrupt` flips a byte in every chunk it sends.
    func serve(_ node: Int, corrupt: Bool = false) async throws {
        let server = BlobServer(store: stores[node])
        guard corrupt else { return try await server.register(on: hosts[node]) }
        try await hosts[node].handle(BlobProtocol.id) { stream in
            while let frame = try await stream.readLengthPrefixed(maxLength: BlobProtocol.maxRequestLength) {
                var response = try await server.answer(BlobRequest(decoding: frame))
                if case .chunk(var bytes) = response, !bytes.isEmpty {
                    bytes[bytes.count / 3] ^= 0x40
                    response = .chunk(bytes)
                }
                try await stream.writeLengthPrefixed(response.encoded())
            }
        }
    }

    func connect(_ a: Int, _ b: Int) async throws {
        let address = try #require(await hosts[b].listenAddresses.first)
        try await hosts[a].connect(to: address.withPeerID(hosts[b].peerID))
    }

    func shutdown() async throws {
        for host in hosts { await host.shutdown() }
        for task in tasks { await task.value }
        try await group.shutdownGracefully()
    }
}

@Suite(.serialized) struct BlobNetworkTests {
    @Test func multiSourceDownloadRoutesAroundACorruptPeer() async throws {
        let cluster = try await BlobCluster(count: 4)
        do {
            let archive = randomBytes(6 << 20, seed: 10)
            var digest: BlobDigest?
            for source in 1...3 {
                digest = try cluster.stores[source].putBlob(archive)
                try await cluster.serve(source, corrupt: source == 2)
                try await cluster.connect(0, source)
            }
            let blob = try #require(digest)
            let reported = LockedBox<[PeerID]>([])
            let downloader = BlobDownloader(
                host: cluster.hosts[0], store: cluster.stores[0], partials: cluster.directories[0].url.appendingPathComponent("partial"),
                onCorruptPeer: { peer, _ in reported.set(reported.current + [peer]) })
            let sources = (1...3).map { cluster.hosts[$0].peerID }
            let report = try await downloader.download(blob, from: sources)
            #expect(try cluster.stores[0].blob(blob) == archive)
            #expect(report.corruptPeers == [cluster.hosts[2].peerID])
            #expect(reported.current == [cluster.hosts[2].peerID])
            #expect(report.chunksFetched[cluster.hosts[2].peerID] == nil)
            #expect(report.chunksFetched[cluster.hosts[1].peerID, default: 0] > 0)
            #expect(report.chunksFetched[cluster.hosts[3].peerID, default: 0] > 0)
            #expect(report.chunksFetched.values.reduce(0, +) == (6 << 20) / BlobProtocol.defaultChunkSize)
        } catch {
            try await cluster.shutdown()
            throw error
        }
        try await cluster.shutdown()
    }

    /// A source that answers the manifest but never a chunk holds its chunks until the request
    /// times out; the honest source, out of chunks by then, waits for them instead of ending,
    /// so the download completes rather than failing with chunks "unavailable".
    @Test func aSourceThatNeverAnswersChunksOnlyDelaysTheDownload() async throws {
        let cluster = try await BlobCluster(count: 3)
        do {
            let archive = randomBytes(2 << 20, seed: 14)
            let digest = try cluster.stores[1].putBlob(archive)
            _ = try cluster.stores[2].putBlob(archive)
            let server = BlobServer(store: cluster.stores[1])
            let stalled = Gate()
            try await cluster.hosts[1].handle(BlobProtocol.id) { stream in
                while let frame = try await stream.readLengthPrefixed(maxLength: BlobProtocol.maxRequestLength) {
                    let response = try await server.answer(BlobRequest(decoding: frame))
                    if case .chunk = response { await stalled.wait(upTo: .seconds(30)) }
                    try await stream.writeLengthPrefixed(response.encoded())
                }
            }
            let staller = BlobServer(store: cluster.stores[2])
            try await cluster.hosts[2].handle(BlobProtocol.id) { stream in
                while let frame = try await stream.readLengthPrefixed(maxLength: BlobProtocol.maxRequestLength) {
                    let request = try BlobRequest(decoding: frame)
                    guard request.kind == .manifest else {
                        await stalled.open()
                        continue
                    }
                    try await stream.writeLengthPrefixed(try await staller.answer(request).encoded())
                }
            }
            try await cluster.connect(0, 1)
            try await cluster.connect(0, 2)
            var options = BlobDownloader.Options()
            options.requestTimeout = .seconds(2)
            let downloader = BlobDownloader(
                host: cluster.hosts[0], store: cluster.stores[0], partials: cluster.directories[0].url.appendingPathComponent("partial"),
                options: options)
            let (honest, silent) = (cluster.hosts[1].peerID, cluster.hosts[2].peerID)
            let report = try await downloader.download(digest, from: [honest, silent])
            #expect(try cluster.stores[0].blob(digest) == archive)
            #expect(report.chunksFetched.keys.sorted { $0.base58 < $1.base58 } == [honest])
            #expect(report.sources[silent, default: BlobSourceTally()].timeouts >= 1)
            #expect(report.corruptPeers.isEmpty, "silence is not proof of lying")
        } catch {
            try await cluster.shutdown()
            throw error
        }
        try await cluster.shutdown()
    }

    @Test func interruptedDownloadResumesFromItsPartialFile() async throws {
        let cluster = try await BlobCluster(count: 2)
        do {
            let archive = randomBytes(3 << 20 + 12345, seed: 11)
            let digest = try cluster.stores[1].putBlob(archive)
            try await cluster.serve(1)
            try await cluster.connect(0, 1)
            // A previous run wrote the first five chunks before it was killed.
            let partials = cluster.directories[0].url.appendingPathComponent("partial")
            try FileManager.default.createDirectory(at: partials, withIntermediateDirectories: true)
            let chunk = BlobProtocol.defaultChunkSize
            try Data(archive[0..<(5 * chunk)]).write(to: partials.appendingPathComponent("\(digest.hex).partial"))
            let downloader = BlobDownloader(host: cluster.hosts[0], store: cluster.stores[0], partials: partials)
            let report = try await downloader.download(digest, from: [cluster.hosts[1].peerID])
            #expect(report.chunksResumed == 5)
            #expect(report.chunksFetched[cluster.hosts[1].peerID] == (archive.count - 1) / chunk + 1 - 5)
            #expect(try cluster.stores[0].blob(digest) == archive)
            #expect(!FileManager.default.fileExists(atPath: partials.appendingPathComponent("\(digest.hex).partial").path))
        } catch {
            try await cluster.shutdown()
            throw error
        }
        try await cluster.shutdown()
    }

    @Test func aLyingManifestIsDetectedByTheDigest() async throws {
        // The only source serves consistent but wrong data (manifest and chunks of other bytes):
        // nothing is stored and the source is reported.
        let cluster = try await BlobCluster(count: 2)
        do {
            let real = randomBytes(1 << 20, seed: 12)
            let fake = randomBytes(1 << 20, seed: 13)
            let realDigest = try cluster.stores[0].prepareBlob(real).digest
            let fakeDigest = try cluster.stores[1].putBlob(fake)
            let server = BlobServer(store: cluster.stores[1])
            try await cluster.hosts[1].handle(BlobProtocol.id) { stream in
                while let frame = try await stream.readLengthPrefixed(maxLength: BlobProtocol.maxRequestLength) {
                    var request = try BlobRequest(decoding: frame)
                    request.digest = fakeDigest
                    try await stream.writeLengthPrefixed(try await server.answer(request).encoded())
                }
            }
            try await cluster.connect(0, 1)
            let reported = LockedBox<[PeerID]>([])
            let downloader = BlobDownloader(
                host: cluster.hosts[0], store: cluster.stores[0], partials: cluster.directories[0].url.appendingPathComponent("partial"),
                onCorruptPeer: { peer, _ in reported.set(reported.current + [peer]) })
            await #expect(throws: BlobError.self) { try await downloader.download(realDigest, from: [cluster.hosts[1].peerID]) }
            #expect(try cluster.stores[0].hasBlob(realDigest) == false)
            #expect(reported.current == [cluster.hosts[1].peerID])
        } catch {
            try await cluster.shutdown()
            throw error
        }
        try await cluster.shutdown()
    }
}
