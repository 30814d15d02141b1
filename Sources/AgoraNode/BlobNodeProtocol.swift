import AgoraBlob
import AgoraCore
import AgoraStore
import AgoraWire
import Foundation
import Logging

/// Runs `/agora/blob/1.0.0` on the node: serves every archive the store holds, fetches
/// archives on request (`fetch`, for install) from the peers that have one, and on a mirror
/// fetches every archive the log's releases name.
///
/// Who has an archive: a manifest request is the HAVE query (a holder answers with the
/// manifest, anyone else with not-found), so a fetch asks every connected peer that speaks
/// the protocol at once (at most `maxSources`, penalised peers left out); when none of them
/// can supply it, the peers the `providerSources` (the DHT) name. The downloader takes chunks
/// from all that answered.
public final class BlobNodeProtocol: NodeProtocol {
    public struct Statistics: Sendable, Equatable {
        /// Archives downloaded into the store (not counting those already held).
        public var fetched = 0
        public var fetchFailures = 0
    }

    /// Peers asked about one archive at most, in each round (connected, then from provider sources).
    public static let maxSources = 16
    public let penalties = ArchivePenalties()
    let providerSources: [any ArchiveProviderSource]
    let mirrorConcurrency: Int
    private let attached = AttachedContext()
    private let counters = Counters()

    public init(providerSources: [any ArchiveProviderSource] = [], mirrorConcurrency: Int = 4) {
        self.providerSources = providerSources
        self.mirrorConcurrency = max(1, mirrorConcurrency)
    }

    public var statistics: Statistics { get async { await counters.value } }

    public func run(in context: NodeContext) async throws {
        try await BlobServer(store: context.store).register(on: context.host)
        await attached.set(context)
        if context.configuration.mirror {
            await ArchiveMirror(blobs: self, context: context, concurrency: mirrorConcurrency).run()
        } else {
            while !Task.isCancelled {
                Self.keepCacheWithinBudget(context)
                try? await Task.sleep(for: context.configuration.archiveCacheBudget == nil ? .seconds(3600) : context.configuration.archiveCacheInterval)
            }
        }
    }

    /// Writes the uses noted since the last pass and, with a budget, evicts the least
    /// recently used unpinned archives past it (see `Store.evictBlobs`).
    static func keepCacheWithinBudget(_ context: NodeContext) {
        do {
            guard let budget = context.configuration.archiveCacheBudget else {
                try context.store.flushBlobUses()
                return
            }
            let evicted = try context.store.evictBlobs(toFit: budget)
            if !evicted.isEmpty {
                context.logger.info("archive cache: evicted \(evicted.count) archive(s) to stay within \(budget) bytes")
            }
        } catch {
            context.logger.warning("archive cache: \(error)")
        }
    }

    /// Brings the archive `digest` into the store (at once when it is there already) from the
    /// peers that have it, each chunk and the whole checked; peers that served bad data are
    /// penalised and the download carries on from the others. Connected peers are asked
    /// first; the provider sources (the DHT) only when none of them could supply it.
    public func fetch(
        _ digest: BlobDigest, onProgress: @escaping @Sendable (_ done: Int, _ total: Int) -> Void = { _, _ in }
    ) async throws -> BlobDownloadReport {
        let context = await attached.get()
        let held = try context.store.hasBlob(digest)
        let penalties = self.penalties
        let logger = context.logger
        let reputation = context.reputation
        let downloader = BlobDownloader(
            host: context.host, store: context.store, partials: Self.partials(of: context.store),
            onCorruptPeer: { peer, digest in
                logger.info("peer served corrupt data", metadata: ["peer": "\(peer)", "archive": "\(digest)"])
                penalties.penalise(peer)
                reputation.observe(peer, digest: digest.bytes, outcome: .digestMismatch)
                reputation.penalise(peer, reason: "served data contradicting archive \(digest.hex.prefix(16))", evidence: digest.bytes)
            },
            onProgress: onProgress,
            onSources: { tallies in Self.observe(tallies, digest: digest, reputation: reputation) })
        do {
            let report = try await download(digest, with: downloader, held: held, context: context)
            if !held {
                await counters.fetched()
                Self.keepCacheWithinBudget(context)
            }
            return report
        } catch {
            await counters.failed()
            throw error
        }
    }

    private func download(_ digest: BlobDigest, with downloader: BlobDownloader, held: Bool, context: NodeContext) async throws -> BlobDownloadReport {
        if held { return try await downloader.download(digest, from: []) }
        let connected = await connectedSources(context)
        var failure = BlobError.noSources(digest, "no connected peer serves archives")
        if !connected.isEmpty {
            do {
                return try await downloader.download(digest, from: connected)
            } catch let error as BlobError {
                failure = error
            }
        }
        let discovered = await discoveredSources(of: digest, excluding: connected, context: context)
        // Peers that connected meanwhile (still being dialled at the first round) are asked too.
        let late = await connectedSources(context).filter { !connected.contains($0) && !discovered.contains($0) }
        let found = Array((discovered + late).prefix(Self.maxSources))
        guard !found.isEmpty else {
            guard !providerSources.isEmpty, case .noSources(_, let why) = failure else { throw failure }
            throw BlobError.noSources(digest, "\(why); no provider source (the DHT) named another holder")
        }
        return try await downloader.download(digest, from: found)
    }

    /// Interrupted downloads resume from here: beside the store, never inside it (compaction
    /// owns the store's folder).
    static func partials(of store: Store) -> URL {
        store.directory.deletingLastPathComponent().appendingPathComponent("partials", isDirectory: true)
    }

    /// One observation per outcome kind per source and download: a success carries the bytes
    /// and the mean latency per chunk.
    static func observe(_ tallies: [PeerID: BlobSourceTally], digest: BlobDigest, reputation: Reputation) {
        for (peer, tally) in tallies {
            if tally.chunks > 0 {
                reputation.observe(peer, digest: digest.bytes, outcome: .success, bytes: tally.bytes, latency: tally.meanLatency ?? .zero)
            }
            if tally.timeouts > 0 { reputation.observe(peer, digest: digest.bytes, outcome: .timeout) }
            if tally.refusals > 0 { reputation.observe(peer, digest: digest.bytes, outcome: .refused) }
            if tally.failures > 0 { reputation.observe(peer, digest: digest.bytes, outcome: .other) }
        }
    }

    /// Connected peers that may serve archives (a peer not yet identified is asked too: a
    /// refusal costs one negotiation), penalised ones left out, in the order `PeerSelection`
    /// gives from this node's own reports and RTTs (cut-off peers left out, avoided ones only
    /// when nobody else is there).
    private func connectedSources(_ context: NodeContext) async -> [PeerID] {
        var peers: [PeerID] = []
        for peer in await context.host.connectedPeers where !penalties.isPenalised(peer) && !peers.contains(peer) {
            if let info = await context.host.peerInfo(peer), !info.protocols.contains(BlobProtocol.id) { continue }
            peers.append(peer)
        }
        let ranked = context.reputation.rank(peers, store: context.store, rtts: await context.rtts.values)
        return Array(ranked.prefix(Self.maxSources))
    }

    /// Peers the provider sources name for `digest`, dialled; those already asked are skipped.
    private func discoveredSources(of digest: BlobDigest, excluding asked: [PeerID], context: NodeContext) async -> [PeerID] {
        var peers: [PeerID] = []
        for source in providerSources where peers.count < Self.maxSources {
            for address in await source.providers(of: digest, limit: Self.maxSources - peers.count) {
                guard let peer = address.peerID, peer != context.host.peerID, !peers.contains(peer), !asked.contains(peer),
                      !penalties.isPenalised(peer)
                else { continue }
                do {
                    try await context.host.connect(to: address)
                    peers.append(peer)
                } catch {
                    context.logger.debug("cannot dial provider \(address): \(error)")
                }
            }
        }
        let ranked = context.reputation.rank(peers, store: context.store, rtts: await context.rtts.values)
        return Array(ranked.prefix(Self.maxSources))
    }
}

/// The context `run` receives, for `fetch` calls that arrive before or after it.
private actor AttachedContext {
    private var context: NodeContext?
    private var waiters: [CheckedContinuation<NodeContext, Never>] = []

    func set(_ context: NodeContext) {
        self.context = context
        for waiter in waiters { waiter.resume(returning: context) }
        waiters = []
    }

    func get() async -> NodeContext {
        if let context { return context }
        return await withCheckedContinuation { waiters.append($0) }
    }
}

private actor Counters {
    var value = BlobNodeProtocol.Statistics()
    func fetched() { value.fetched += 1 }
    func failed() { value.fetchFailures += 1 }
}
