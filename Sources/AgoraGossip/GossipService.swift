import AgoraCore
import AgoraWire
import CoreMetrics
import Logging

/// A message the router accepted, as the service hands it to the application.
public struct GossipDelivery: Sendable {
    public let id: GossipMessageID
    public let message: GossipMessage
    /// The peer that forwarded it to us (not necessarily its author).
    public let from: PeerID
}

public struct GossipServiceConfiguration: Sendable {
    public var router = GossipConfiguration()
    /// Frames queued for one peer before it counts as not reading and is dropped.
    public var maxQueuedFrames = 256
    public var maxQueuedBytes = 8 << 20
    /// Deliveries waiting for the application; older ones are kept, newer dropped.
    public var deliveryBuffer = 4096

    public init() {}
}

/// The I/O shell around `GossipRouter`: one long-lived outbound `/meshsub` stream per peer
/// (libp2p's convention: each side writes on the stream it opened and reads the one the
/// other opened), a bounded send queue per peer, the heartbeat timer, and the validator.
/// Like `P2PHost`, its work runs as children of `run()`.
public actor GossipService {
    public typealias Validator = @Sendable (GossipMessage, PeerID) async -> GossipValidation

    /// A peer's send queue. It exists from the moment the peer is known, so nothing the router
    /// sends while our stream is still being opened is lost; the writer opens the stream, then
    /// drains the queue.
    private final class Link: Sendable {
        let frames: AsyncStream<[UInt8]>.Continuation
        let queue: AsyncStream<[UInt8]>
        init() {
            (queue, frames) = AsyncStream.makeStream(of: [UInt8].self)
        }
    }

    public nonisolated let host: P2PHost
    public nonisolated let configuration: GossipServiceConfiguration
    private let identity: Identity
    private let validator: Validator
    private let logger: Logger
    private var router: GossipRouter
    private let origin = ContinuousClock.now
    private var links: [PeerID: Link] = [:]
    /// Our stream to each peer, once open.
    private var outbound: [PeerID: P2PStream] = [:]
    /// The stream each peer writes to us on; reset when the peer is dropped.
    private var inbound: [PeerID: P2PStream] = [:]
    private var queued: [PeerID: (frames: Int, bytes: Int)] = [:]
    private var seqno: UInt64
    public nonisolated let deliveries: AsyncStream<GossipDelivery>
    private let deliveryQueue: AsyncStream<GossipDelivery>.Continuation
    private let jobs: AsyncStream<@Sendable () async -> Void>
    private let jobQueue: AsyncStream<@Sendable () async -> Void>.Continuation
    /// Peers dropped because their send queue overflowed.
    public private(set) var slowPeersDropped = 0
    public private(set) var deliveriesDropped = 0
    private var metrics = GossipMetrics()

    public init(
        host: P2PHost, configuration: GossipServiceConfiguration = GossipServiceConfiguration(),
        validator: @escaping Validator, logger: Logger = Logger(label: "agora.gossip")
    ) {
        self.host = host
        self.configuration = configuration
        self.identity = host.identity
        self.validator = validator
        self.logger = logger
        var seeder = SystemRandomNumberGenerator()
        router = GossipRouter(localPeer: host.peerID, configuration: configuration.router, seed: seeder.next())
        seqno = seeder.next() >> 1
        (deliveries, deliveryQueue) = AsyncStream.makeStream(
            of: GossipDelivery.self, bufferingPolicy: .bufferingOldest(configuration.deliveryBuffer))
        (jobs, jobQueue) = AsyncStream.makeStream(of: (@Sendable () async -> Void).self)
    }

    private var now: Duration { ContinuousClock.now - origin }

    /// Serves `/meshsub/1.1.0` and `/1.0.0` on the host.
    public func start() async throws {
        for protocolID in GossipProtocol.all {
            try await host.handle(protocolID) { [weak self] stream in
                await self?.serveInbound(stream)
            }
        }
    }

    /// Runs the heartbeat and the per-peer writers until cancelled or `stop()`.
    public func run() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.heartbeatLoop() }
            for await job in jobs {
                group.addTask { await job() }
            }
            group.cancelAll()
        }
    }

    /// Closes every gossip stream and ends `run()`.
    public func stop() async {
        for (_, link) in links { link.frames.finish() }
        for (_, stream) in outbound { await stream.reset() }
        for (_, stream) in inbound { await stream.reset() }
        links.removeAll()
        outbound.removeAll()
        inbound.removeAll()
        jobQueue.finish()
        deliveryQueue.finish()
    }

    private nonisolated func heartbeatLoop() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: configuration.router.heartbeatInterval)
            guard !Task.isCancelled else { return }
            await heartbeat()
        }
    }

    private func heartbeat() async {
        await execute(router.heartbeat(now: now))
        metrics.report(router.counters)
    }

    // MARK: Application API

    public func subscribe(_ topic: String) async {
        await execute(router.subscribe(topic, now: now))
    }

    public func unsubscribe(_ topic: String) async {
        await execute(router.unsubscribe(topic, now: now))
    }

    /// Signs and publishes `data` on `topic`; returns its message ID (for an event, its ID).
    @discardableResult
    public func publish(_ data: [UInt8], topic: String) async throws -> GossipMessageID {
        seqno &+= 1
        let message = try GossipSigning.sign(
            GossipMessage(from: [], data: data, seqno: withUnsafeBytes(of: seqno.bigEndian) { Array($0) }, topic: topic), with: identity)
        let (id, actions) = try router.publish(message, now: now)
        GossipMetrics.published.increment()
        await execute(actions)
        return id
    }

    /// Adds `peer` to the router and opens our gossip stream to it (dialing it if needed) in
    /// the background; a peer that cannot be reached or does not speak gossip is dropped again.
    public func addPeer(_ peer: PeerID) async {
        await ensurePeer(peer, outbound: true)
    }

    private func ensurePeer(_ peer: PeerID, outbound direction: Bool) async {
        guard links[peer] == nil, peer != host.peerID else { return }
        let link = Link()
        guard let actions = router.addPeer(peer, protocolID: GossipProtocol.v11, outbound: direction, now: now) else {
            logger.debug("gossip peer table full", metadata: ["peer": "\(peer)"])
            return
        }
        links[peer] = link
        jobQueue.yield { [weak self] in await self?.write(link, to: peer) }
        await execute(actions)
    }

    public func peers() -> [PeerID] { router.connectedPeers }

    public func meshPeers(_ topic: String) -> Set<PeerID> { router.meshPeers(topic) }

    public func score(of peer: PeerID) -> Double { router.score(of: peer, now: now) }

    public var counters: GossipCounters { router.counters }

    /// Feeds the application's opinion of a peer into its score (P5).
    public func setApplicationScore(_ peer: PeerID, _ value: Double) {
        router.setApplicationScore(peer, value)
    }

    // MARK: Streams

    private func serveInbound(_ stream: P2PStream) async {
        let peer = stream.remotePeer
        // One inbound stream per peer: a newer one replaces the older.
        if let older = inbound.updateValue(stream, forKey: peer) { await older.reset() }
        await ensurePeer(peer, outbound: false)
        guard links[peer] != nil else {
            // The peer table is full.
            inbound[peer] = nil
            await stream.reset()
            return
        }
        let limits = configuration.router.rpcLimits
        do {
            while let frame = try await stream.readLengthPrefixed(maxLength: limits.maxFrameLength) {
                let rpc: GossipRPC
                do {
                    rpc = try GossipRPCCodec.decode(frame, limits: limits)
                } catch {
                    logger.debug("malformed gossip frame: \(error)", metadata: ["peer": "\(peer)"])
                    GossipMetrics.malformed.increment()
                    router.penalise(peer)
                    continue
                }
                await execute(router.receive(rpc, from: peer, now: now))
            }
        } catch {
            logger.debug("gossip stream failed: \(error)", metadata: ["peer": "\(peer)"])
        }
        if inbound[peer] === stream { await drop(peer) }
    }

    private nonisolated func write(_ link: Link, to peer: PeerID) async {
        let stream: P2PStream
        do {
            stream = try await host.newStream(to: peer, protocols: GossipProtocol.all)
        } catch {
            logger.debug("cannot open a gossip stream: \(error)", metadata: ["peer": "\(peer)"])
            await drop(peer, link: link)
            return
        }
        guard await opened(stream, for: peer, link: link) else { return }
        for await frame in link.queue {
            do {
                try await stream.writeLengthPrefixed(frame)
            } catch {
                await drop(peer, link: link)
                return
            }
            await written(frame.count, to: peer)
        }
    }

    /// Records our new stream; false (and the stream reset) when the peer was dropped meanwhile.
    private func opened(_ stream: P2PStream, for peer: PeerID, link: Link) async -> Bool {
        guard links[peer] === link else {
            await stream.reset()
            return false
        }
        outbound[peer] = stream
        return true
    }

    private func written(_ count: Int, to peer: PeerID) {
        guard let current = queued[peer] else { return }
        queued[peer] = (current.frames - 1, current.bytes - count)
    }

    private func enqueue(_ rpc: GossipRPC, to peer: PeerID) async {
        guard let link = links[peer] else { return }
        let frame = GossipRPCCodec.encode(rpc)
        let current = queued[peer] ?? (0, 0)
        guard current.frames < configuration.maxQueuedFrames, current.bytes + frame.count <= configuration.maxQueuedBytes else {
            logger.info("dropping gossip peer that does not read", metadata: ["peer": "\(peer)"])
            slowPeersDropped += 1
            await drop(peer)
            return
        }
        queued[peer] = (current.frames + 1, current.bytes + frame.count)
        link.frames.yield(frame)
    }

    /// Forgets `peer` and closes both its streams; with `link`, only if that is still its queue.
    private func drop(_ peer: PeerID, link: Link? = nil) async {
        guard let current = links[peer], link == nil || current === link else { return }
        links[peer] = nil
        current.frames.finish()
        queued[peer] = nil
        if let stream = outbound.removeValue(forKey: peer) { await stream.reset() }
        if let stream = inbound.removeValue(forKey: peer) { await stream.reset() }
        await execute(router.removePeer(peer, now: now))
    }

    private func execute(_ actions: [GossipAction]) async {
        var work = actions[...]
        while let action = work.popFirst() {
            switch action {
            case .send(let peer, let rpc):
                await enqueue(rpc, to: peer)
            case .validate(let id, let message, let from):
                let verdict = await validator(message, from)
                work += router.validated(id, verdict, now: now)
            case .deliver(let id, let message, let from):
                if case .dropped = deliveryQueue.yield(GossipDelivery(id: id, message: message, from: from)) {
                    deliveriesDropped += 1
                }
            }
        }
    }
}
