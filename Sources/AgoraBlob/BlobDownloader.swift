import AgoraStore
import AgoraWire
import Crypto
import Foundation

/// What a finished download did.
public struct BlobDownloadReport: Sendable {
    public let digest: BlobDigest
    public let size: Int
    /// Chunks fetched from each peer in this run (a resumed download fetches fewer).
    public let chunksFetched: [PeerID: Int]
    public let chunksResumed: Int
    /// Peers proven to have served bad data (a chunk or a manifest the verified blob contradicts).
    public let corruptPeers: Set<PeerID>
    /// What each source asked did (also passed to `onSources`, however the download ends).
    public let sources: [PeerID: BlobSourceTally]
}

/// Fetches a blob from several peers at once over `/agora/blob/1.0.0`: manifests from every
/// source (the majority's is tried first), then chunks in parallel, each checked against the
/// manifest and written at its offset to `<partials>/<digest>.partial`, so an interrupted
/// download resumes with the chunks it has. The whole is hashed against the digest before it
/// reaches the store; only then are peers that served bad data reported, because only then is
/// it proven which side lied.
public actor BlobDownloader {
    public struct Options: Sendable {
        /// Concurrent requests per source (each on its own stream).
        public var streamsPerPeer = 2
        public var requestTimeout: Duration = .seconds(30)

        public init() {}
    }

    public nonisolated let host: P2PHost
    public nonisolated let store: Store
    public nonisolated let partials: URL
    public nonisolated let options: Options
    private let onCorruptPeer: @Sendable (PeerID, BlobDigest) -> Void
    private let onProgress: @Sendable (Int, Int) -> Void
    private let onSources: @Sendable ([PeerID: BlobSourceTally]) -> Void
    private var tallies: [PeerID: BlobSourceTally] = [:]

    public init(
        host: P2PHost, store: Store, partials: URL, options: Options = Options(),
        onCorruptPeer: @escaping @Sendable (PeerID, BlobDigest) -> Void = { _, _ in },
        onProgress: @escaping @Sendable (_ done: Int, _ total: Int) -> Void = { _, _ in },
        onSources: @escaping @Sendable ([PeerID: BlobSourceTally]) -> Void = { _ in }
    ) {
        self.host = host
        self.store = store
        self.partials = partials
        self.options = options
        self.onCorruptPeer = onCorruptPeer
        self.onProgress = onProgress
        self.onSources = onSources
    }

    public func download(_ digest: BlobDigest, from sources: [PeerID]) async throws -> BlobDownloadReport {
        if let size = try store.blobSize(digest) {
            return BlobDownloadReport(digest: digest, size: size, chunksFetched: [:], chunksResumed: 0, corruptPeers: [], sources: [:])
        }
        // What each source did is reported however the download ends.
        defer { onSources(tallies) }
        var liars: Set<PeerID> = []
        var reasons: [String] = []
        let offers = await manifests(digest, from: sources)
        // Manifests grouped by content, most sources first.
        var groups: [BlobManifest: [PeerID]] = [:]
        for (peer, manifest) in offers { groups[manifest, default: []].append(peer) }
        let ranked = groups.sorted { $0.value.count > $1.value.count }
        for (manifest, backers) in ranked {
            let usable = sources.filter { !liars.contains($0) && offers[$0] != nil }
            let outcome = try await fetch(digest, manifest: manifest, from: usable)
            guard outcome.verified else {
                // The blob does not hash to its digest: the manifest was false.
                liars.formUnion(backers)
                try? FileManager.default.removeItem(at: partialURL(digest))
                reasons.append("manifest from \(backers.count) peer(s) contradicts the digest")
                continue
            }
            // Proven: whoever offered another manifest, or a chunk that did not match, lied.
            liars.formUnion(outcome.plan.suspects)
            for (other, peers) in ranked where other != manifest { liars.formUnion(peers) }
            for peer in liars { onCorruptPeer(peer, digest) }
            return BlobDownloadReport(
                digest: digest, size: manifest.size, chunksFetched: outcome.plan.fetched,
                chunksResumed: outcome.resumed, corruptPeers: liars, sources: tallies)
        }
        for peer in liars { onCorruptPeer(peer, digest) }
        if !reasons.isEmpty { throw BlobError.corrupt(digest, reasons.joined(separator: "; ")) }
        throw BlobError.noSources(digest, "no manifest from \(sources.count) peer(s)")
    }

    private func partialURL(_ digest: BlobDigest) -> URL {
        partials.appendingPathComponent("\(digest.hex).partial")
    }

    private func manifests(_ digest: BlobDigest, from sources: [PeerID]) async -> [PeerID: BlobManifest] {
        await withTaskGroup(of: (PeerID, BlobManifest?).self) { group in
            for peer in sources {
                group.addTask {
                    guard let session = try? await BlobSession(host: self.host, peer: peer, timeout: self.options.requestTimeout) else {
                        await self.tally(peer) { $0.failures += 1 }
                        return (peer, nil)
                    }
                    defer { Task { await session.close() } }
                    do {
                        guard case .manifest(let manifest) = try await session.request(BlobRequest(digest: digest, kind: .manifest)) else {
                            return (peer, nil)
                        }
                        return (peer, manifest)
                    } catch {
                        await self.tally(peer, Self.failure(error))
                        return (peer, nil)
                    }
                }
            }
            var found: [PeerID: BlobManifest] = [:]
            for await (peer, manifest) in group { found[peer] = manifest }
            return found
        }
    }

    private struct Outcome {
        var plan: BlobDownloadPlan
        var resumed: Int
        var verified: Bool
    }

    /// Runs one attempt with one manifest: resume, fetch what is missing, verify, store.
    private func fetch(_ digest: BlobDigest, manifest: BlobManifest, from sources: [PeerID]) async throws -> Outcome {
        try FileManager.default.createDirectory(at: partials, withIntermediateDirectories: true)
        let url = partialURL(digest)
        if !FileManager.default.fileExists(atPath: url.path) {
            guard FileManager.default.createFile(atPath: url.path, contents: nil) else { throw CocoaError(.fileWriteUnknown) }
        }
        let file = try FileHandle(forUpdating: url)
        defer { try? file.close() }
        let have = try resumable(file, manifest: manifest)
        let box = PlanBox(BlobDownloadPlan(manifest: manifest, have: have), file: file)
        try await box.hashContiguous()
        let total = manifest.chunkCount
        onProgress(have.count, total)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for peer in sources {
                for _ in 0..<options.streamsPerPeer {
                    group.addTask { await self.worker(peer, digest: digest, plan: box, total: total) }
                }
            }
            try await group.waitForAll()
        }
        let plan = await box.plan
        guard plan.isComplete else {
            let why = "\(plan.remaining) of \(total) chunks unavailable"
            guard plan.suspects.isEmpty else {
                throw BlobError.corrupt(digest, "\(why); \(plan.suspects.count) peer(s) sent chunks that contradict the manifest")
            }
            throw BlobError.noSources(digest, why)
        }
        guard try await box.finalDigest() == digest.bytes else {
            return Outcome(plan: plan, resumed: have.count, verified: false)
        }
        // Into the store a batch of chunks at a time, hashed again on the way (the store
        // refuses anything that does not hash to the digest); visible only once whole.
        do {
            try store.putBlob(digest: digest, size: manifest.size) { offset, count in
                try file.seek(toOffset: UInt64(offset))
                return [UInt8](try file.read(upToCount: count) ?? Data())
            }
        } catch StoreError.blobDigestMismatch {
            return Outcome(plan: plan, resumed: have.count, verified: false)
        }
        try? FileManager.default.removeItem(at: url)
        return Outcome(plan: plan, resumed: have.count, verified: true)
    }

    /// Chunks of an earlier, interrupted download that already match the manifest.
    private func resumable(_ file: FileHandle, manifest: BlobManifest) throws -> Set<Int> {
        var have: Set<Int> = []
        for index in 0..<manifest.chunkCount {
            let range = manifest.range(of: index)
            try file.seek(toOffset: UInt64(range.lowerBound))
            guard let bytes = try file.read(upToCount: range.count), bytes.count == range.count else { break }
            if Array(SHA256.hash(data: bytes)) == manifest.chunkHashes[index] { have.insert(index) }
        }
        return have
    }

    /// One stream to `peer`, fetching chunks until the plan has none left for it.
    private nonisolated func worker(_ peer: PeerID, digest: BlobDigest, plan: PlanBox, total: Int) async {
        guard let session = try? await BlobSession(host: host, peer: peer, timeout: options.requestTimeout) else {
            await tally(peer) { $0.failures += 1 }
            await plan.failedToConnect(peer)
            return
        }
        defer { Task { await session.close() } }
        while let index = await plan.next(for: peer) {
            let started = ContinuousClock.now
            let response: BlobResponse
            do {
                response = try await session.request(BlobRequest(digest: digest, kind: .chunk, index: index))
            } catch {
                await tally(peer, Self.failure(error))
                await plan.failed(index, from: peer)
                continue
            }
            guard case .chunk(let bytes) = response else {
                await tally(peer) { $0.refusals += 1 }
                await plan.failed(index, from: peer)
                continue
            }
            let latency = ContinuousClock.now - started
            guard await plan.received(index, bytes, from: peer) else { return }
            await tally(peer) { tally in
                tally.chunks += 1
                tally.bytes += bytes.count
                tally.latency += latency
            }
            await plan.write(bytes, chunk: index)
            let remaining = await plan.plan.remaining
            onProgress(total - remaining, total)
        }
    }
}

extension BlobDownloader {
    private func tally(_ peer: PeerID, _ change: @Sendable (inout BlobSourceTally) -> Void) {
        change(&tallies[peer, default: BlobSourceTally()])
    }

    private static func failure(_ error: any Error) -> @Sendable (inout BlobSourceTally) -> Void {
        if error is WireTimeoutError {
            return { tally in tally.timeouts += 1 }
        }
        return { tally in tally.failures += 1 }
    }
}

/// The plan shared by the workers of one download, plus its file writes (one at a time) and
/// the whole's SHA-256, computed as the chunks arrive: the in-order prefix is hashed whenever
/// it grows (a chunk that arrives early waits in the file until its predecessors are in), so
/// the digest is known when the last chunk lands, without reading the archive back whole.
private actor PlanBox {
    var plan: BlobDownloadPlan
    nonisolated let manifest: BlobManifest
    private let file: FileHandle
    private var hasher = SHA256()
    /// Chunks 0..<hashed are in the hasher.
    private var hashed = 0
    private var written: Set<Int> = []
    private var failure: (any Error)?
    /// Streams told to wait by the plan; bounded by the streams of one download.
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(_ plan: BlobDownloadPlan, file: FileHandle) {
        self.plan = plan
        self.manifest = plan.manifest
        self.file = file
        written = Set((0..<plan.manifest.chunkCount).filter { !plan.needs($0) })
    }

    /// The next chunk for `peer`, waiting while the only chunks left are in flight elsewhere:
    /// a chunk a liar sent wrong comes back, and the honest streams must still be there.
    func next(for peer: PeerID) async -> Int? {
        while true {
            switch plan.next(for: peer) {
            case .fetch(let index): return index
            case .done: return nil
            case .wait: await withCheckedContinuation { waiting.append($0) }
            }
        }
    }

    func received(_ index: Int, _ bytes: [UInt8], from peer: PeerID) -> Bool {
        defer { planChanged() }
        return plan.received(index, bytes, from: peer)
    }

    func failed(_ index: Int, from peer: PeerID) {
        plan.failed(index, from: peer)
        planChanged()
    }

    /// Every answer or failure can end a wait: each waiting stream asks the plan again.
    private func planChanged() {
        let woken = waiting
        waiting = []
        for stream in woken { stream.resume() }
    }

    /// One stream that would not open is one failure: the peer's other streams may work
    /// (on a loaded host a negotiation can time out), and counting it as `maxFailures` dropped
    /// a good source with chunks still in flight on its other stream.
    func failedToConnect(_ peer: PeerID) {
        failed(-1, from: peer)
    }

    func write(_ bytes: [UInt8], chunk index: Int) {
        do {
            try file.seek(toOffset: UInt64(manifest.range(of: index).lowerBound))
            try file.write(contentsOf: bytes)
            written.insert(index)
            if index == hashed {
                hasher.update(data: bytes)
                hashed += 1
            }
            try hashContiguous()
        } catch {
            failure = failure ?? error
        }
    }

    /// Hashes the written chunks that now follow the hashed prefix, reading them back.
    func hashContiguous() throws {
        while hashed < manifest.chunkCount, written.contains(hashed) {
            let range = manifest.range(of: hashed)
            try file.seek(toOffset: UInt64(range.lowerBound))
            guard let bytes = try file.read(upToCount: range.count), bytes.count == range.count else {
                throw CocoaError(.fileReadCorruptFile)
            }
            hasher.update(data: bytes)
            hashed += 1
        }
    }

    /// The SHA-256 of the whole, once every chunk is in; rethrows a failed file write.
    func finalDigest() throws -> [UInt8] {
        if let failure { throw failure }
        try hashContiguous()
        guard hashed == manifest.chunkCount else { throw CocoaError(.fileReadCorruptFile) }
        return Array(hasher.finalize())
    }
}

/// A client stream to one peer: one request, one answer, each bounded in time and size.
struct BlobSession: Sendable {
    let stream: P2PStream
    let timeout: Duration

    init(host: P2PHost, peer: PeerID, timeout: Duration) async throws {
        stream = try await host.newStream(to: peer, protocols: [BlobProtocol.id])
        self.timeout = timeout
    }

    func request(_ request: BlobRequest) async throws -> BlobResponse {
        try await stream.writeLengthPrefixed(request.encoded())
        let stream = self.stream
        let frame = try await withWireTimeout(timeout, operation: "blob request", onTimeout: { stream.stream.reset() }) {
            try await stream.readLengthPrefixed(maxLength: BlobProtocol.maxFrameLength)
        }
        guard let frame else { throw BlobError.malformed("stream ended before the answer") }
        return try BlobResponse(decoding: frame, expecting: request.kind)
    }

    func close() async {
        try? await stream.closeWrite()
    }
}
