import AgoraCore
import AgoraStore
import AgoraSync
import AgoraWire
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// A node: host + store + the node protocols (sync and gossip, and whatever else is given:
/// blobs and the DHT plug in as `NodeProtocol`s), as a swift-service-lifecycle `Service`. It
/// listens, dials its bootstrap peers and every peer the store remembers (redialling those it
/// loses), remembers every peer that identifies itself, notices events other processes append
/// to the same store, and publishes its state for `agora status`. Graceful shutdown and
/// cancellation both end every task and shut the host down.
public final class AgoraNode: Service {
    public let host: P2PHost
    public let store: Store
    public let writer: EventWriter
    public let configuration: NodeConfiguration
    public let log: LogWatcher
    let sync: SyncNodeProtocol
    public let gossip: GossipNodeProtocol
    public let reputation: Reputation
    let protocols: [any NodeProtocol]
    let logger: Logger
    let rtts = PeerRTTs()
    private let dialRoundEnded = Mutex(false)
    private let onListening: @Sendable ([Multiaddr]) -> Void

    /// - Parameter onListening: called once with the bound addresses (with /p2p) before
    ///   peers are dialled.
    /// - Parameter reporter: the key that signs the node's reputation events.
    /// - Parameter reporterGuard: keeps the reporter from signing into a store that lacks
    ///   part of its feed (see `FeedSigningGuard`).
    public init(
        identity: Identity, store: Store, configuration: NodeConfiguration, protocols: [any NodeProtocol] = [],
        reporter: ReputationSigner = .nodeKey, reporterGuard: (any FeedSigningGuard)? = nil, logger: Logger = Logger(label: "agora.node"),
        onListening: @escaping @Sendable ([Multiaddr]) -> Void = { _ in }
    ) throws {
        self.host = P2PHost(identity: identity, configuration: configuration.host, logger: logger)
        self.store = store
        self.configuration = configuration
        self.log = LogWatcher(latest: try store.lastLocalSeq())
        self.writer = EventWriter(store: store, watcher: log)
        self.reputation = Reputation(
            reporter: reporter.key(node: identity), signingGuard: reporterGuard, writer: writer,
            flushInterval: configuration.reputationFlushInterval)
        let sync = SyncNodeProtocol(reputation: reputation)
        self.sync = sync
        self.gossip = GossipNodeProtocol(host: host, writer: writer, sync: sync, configuration: configuration, logger: logger)
        self.protocols = protocols
        self.logger = logger
        self.onListening = onListening
    }

    public var peerID: PeerID { host.peerID }

    public func run() async throws {
        try await cancelWhenGracefulShutdown { try await self.runUntilCancelled() }
    }

    /// The host runs in a task of its own, not a child of this one, so cancelling the node
    /// stops the modules and loops first (their streams still have live event loops) and only
    /// then shuts the host down.
    private func runUntilCancelled() async throws {
        defer { if let url = configuration.statusFile { try? FileManager.default.removeItem(at: url) } }
        let hostRun = Task { try await host.run() }
        do {
            try await runModules()
        } catch {
            await log.close()
            await host.shutdown()
            _ = try? await hostRun.value
            throw error
        }
        await log.close()
        await host.shutdown()
        try await hostRun.value
    }

    private func runModules() async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for address in configuration.listen {
                try await host.listen(on: address)
            }
            onListening(await host.listenAddresses.map { $0.withPeerID(host.peerID) })
            writer.resumeFolding()
            for module in [sync, gossip] + protocols {
                let context = NodeContext(
                    host: host, peerEvents: await host.peerEvents(), writer: writer, store: store, log: log,
                    configuration: configuration, logger: logger, sync: sync, reputation: reputation, rtts: rtts)
                group.addTask { try await module.run(in: context) }
            }
            let events = await host.peerEvents()
            group.addTask { await self.rememberPeers(events) }
            group.addTask { await self.pollStore() }
            group.addTask { await self.redial() }
            group.addTask { await self.measureRoundTrips() }
            group.addTask { await self.recordReputation() }
            group.addTask { await self.reportForks() }
            if let url = configuration.statusFile {
                group.addTask { await self.publishStatus(to: url) }
            }
            // Every child runs until cancelled; the first to end (a module failed) ends the node.
            try await group.next()
            group.cancelAll()
        }
    }

    // MARK: Loops

    /// Another process (`agora publish`) may append to the store: its commits reach sync's
    /// waiting peers and gossip's announcer within one poll interval.
    private func pollStore() async {
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: configuration.storePollInterval)
                await log.advance(to: try store.lastLocalSeq())
            } catch is CancellationError {
                return
            } catch {
                logger.warning("cannot read the store: \(error)")
            }
        }
    }

    /// Remembers every peer that identifies itself, and drops a connection from or to a peer
    /// that is cut off (a dial already in flight when the ban came, or the peer dialling in).
    private func rememberPeers(_ events: AsyncStream<PeerEvent>) async {
        var remembered: [PeerID: [Multiaddr]] = [:]
        for await event in events {
            if case .connected(let peer, _) = event, await sync.sessions.isBanned(peer) {
                await host.disconnect(peer)
                continue
            }
            guard case .identified(let info) = event else { continue }
            let addresses = Array(info.listenAddrs.map(\.withoutPeerID).prefix(KnownPeer.maxAddresses))
            guard !addresses.isEmpty, remembered[info.peer] != addresses,
                  let known = KnownPeer(peer: info.peer.bytes, addresses: addresses.map(\.bytes))
            else { continue }
            remembered[info.peer] = addresses
            do {
                _ = try await writer.perform { try $0.remember(known) }
            } catch {
                logger.warning("cannot remember peer \(info.peer): \(error)")
            }
        }
    }

    /// Dials bootstrap and remembered peers that are not connected, a bounded number at a time.
    private func redial() async {
        while !Task.isCancelled {
            let connected = Set(await host.connectedPeers)
            var targets: [Multiaddr] = []
            for address in configuration.bootstrap {
                if let peer = address.peerID {
                    if connected.contains(peer) { continue }
                    if await sync.sessions.isBanned(peer) { continue }
                }
                targets.append(address)
            }
            for known in (try? store.knownPeers()) ?? [] {
                guard let peer = try? PeerID(bytes: known.peer), peer != host.peerID, !connected.contains(peer),
                      await !sync.sessions.isBanned(peer),
                      let address = known.addresses.lazy.compactMap({ try? Multiaddr(bytes: $0) }).first
                else { continue }
                if !targets.contains(where: { $0.peerID == peer }) { targets.append(address.withPeerID(peer)) }
            }
            await withTaskGroup(of: Void.self) { group in
                for target in targets.prefix(16) {
                    group.addTask {
                        do {
                            try await self.host.connect(to: target)
                        } catch {
                            self.logger.debug("cannot dial \(target): \(error)")
                        }
                    }
                }
            }
            dialRoundEnded.withLock { $0 = true }
            try? await Task.sleep(for: configuration.redialInterval)
        }
    }

    /// True once the first round of dials to bootstrap and remembered peers has ended (each
    /// connected or failed), so a short-lived client asks every peer it could reach, not just
    /// the first to answer.
    public var firstDialRoundEnded: Bool { dialRoundEnded.withLock { $0 } }

    /// Pings each connected peer when it has no measurement or one older than 10 s.
    private func measureRoundTrips() async {
        while !Task.isCancelled {
            let connected = await host.connectedPeers
            let due = await rtts.due(among: connected, olderThan: .seconds(10))
            for peer in due {
                if let rtt = try? await host.ping(peer, timeout: .seconds(5)).first {
                    await rtts.set(peer, rtt)
                }
            }
            try? await Task.sleep(for: .seconds(1))
        }
    }

    /// Writes the reputation log; a peer its own reports condemn is cut off like a peer
    /// caught forging (disconnected, not followed or redialled for the ban's length).
    private func recordReputation() async {
        let sync = self.sync
        let host = self.host
        await reputation.run(store: store, cutOff: { peer, score in
            await sync.ban(peer, reason: "reputation \(score.score(at: Reputation.now())) after \(score.penalties) penalties", host: host, penalise: false)
        }, logger: logger)
    }

    /// Turns the forks the writer finds into equivocation reports (self-contained proofs,
    /// gossiped and synced like every event of this node's feed).
    private func reportForks() async {
        for await fork in writer.forks {
            guard let accepted = try? store.event(id: fork.accepted) else { continue }
            reputation.equivocation(fork.conflicting, accepted: accepted)
        }
    }

    private func publishStatus(to url: URL) async {
        while !Task.isCancelled {
            do {
                try await status().write(to: url)
            } catch {
                logger.warning("cannot write \(url.path): \(error)")
            }
            try? await Task.sleep(for: configuration.statusInterval)
        }
    }

    public func status() async -> NodeStatus {
        let progress = await sync.sessions.progress
        let rtt = await rtts.values
        var peers: [NodeStatus.Peer] = []
        let now = Reputation.now()
        for peer in await host.connectedPeers {
            let info = await host.peerInfo(peer)
            let sync = progress[peer]
            let score = reputation.score(of: peer, store: store)
            peers.append(NodeStatus.Peer(
                peerID: peer.base58, addresses: info?.listenAddrs.map { "\($0)" } ?? [], agent: info?.agentVersion,
                protocols: info?.protocols ?? [], rttMillis: rtt[peer].map(Self.milliseconds), syncPosition: sync?.position,
                syncLatest: sync?.peerLatest, syncLag: sync.map { $0.peerLatest > $0.position ? $0.peerLatest - $0.position : 0 },
                eventsReceived: sync?.received, live: sync?.live, lastError: sync?.lastError,
                score: reputation.reporter == nil ? nil : score?.score(at: now) ?? 0.5, standing: PeerStanding(score, now: now)))
        }
        return NodeStatus(
            pid: getpid(), peerID: host.peerID.base58, listen: await host.listenAddresses.map { "\($0.withPeerID(host.peerID))" },
            mirror: configuration.mirror, updated: Date(), peers: peers,
            cutOff: await sync.sessions.cutOff.map { NodeStatus.CutOff(peerID: $0.peer.base58, reason: $0.reason) },
            gossip: await gossip.status(), reputationHeld: reputation.held?.description,
            archiveCacheBudget: configuration.archiveCacheBudget, viewsLag: try? store.viewProgress().lag)
    }

    static func milliseconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) * 1000 + Double(attoseconds) / 1e15
    }
}

/// The latest ping round trip of each connected peer.
actor PeerRTTs {
    private var measured: [PeerID: (rtt: Duration, at: ContinuousClock.Instant)] = [:]

    var values: [PeerID: Duration] { measured.mapValues(\.rtt) }

    func set(_ peer: PeerID, _ rtt: Duration) {
        measured[peer] = (rtt, .now)
    }

    /// The peers of `connected` to measure now; forgets peers no longer connected.
    func due(among connected: [PeerID], olderThan age: Duration) -> [PeerID] {
        let keep = Set(connected)
        measured = measured.filter { keep.contains($0.key) }
        return connected.filter { peer in measured[peer].map { $0.at + age < .now } ?? true }
    }
}
