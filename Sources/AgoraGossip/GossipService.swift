import AgoraCore
import AgoraWire
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

    private final class Link: Sendable {
        let stream: P2PStream
        let frames: AsyncStream<[UInt8]>.Continuation
        let queue: AsyncStream<[UInt8]>
        init(stream: P2PStream) {
            self.stream = stream
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
    private var queued: [PeerID: (frames: Int, bytes: Int)] = [:]
    private var connecting: Set<PeerID> = []
    private var seqno: UInt64
    public nonisolated let deliveries: AsyncStream<GossipDelivery>
    private let deliveryQueue: AsyncStream<GossipDelivery>.Continuation
    private let jobs: AsyncStream<@Sendable () async -> Void>
    private let jobQueue: AsyncStream<@Sendable () async -> Void>.Continuation
    /// Peers dropped because their send queue overflowed.
    public private(set) var slowPeersDropped = 0
    public private(set) var deliveriesDropped = 0

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
        for (_, link) in links {
            link.frames.finish()
            await link.stream.reset()
        }
        links.removeAll()
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
        await execute(actions)
        return id
    }

    /// Opens our gossip stream to `peer` (dialing it if needed) and adds it to the router.
    public func addPeer(_ peer: PeerID) async throws {
        guard links[peer] == nil, !connecting.contains(peer), peer != host.peerID else { return }
        connecting.insert(peer)
        defer { connecting.remove(peer) }
        let stream = try await host.newStream(to: peer, protocols: GossipProtocol.all)
        guard links[peer] == nil, let actions = router.addPeer(peer, protocolID: stream.protocolID, outbound: true, now: now) else {
            await stream.reset()
            return
        }
        let link = Link(stream: stream)
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
        if links[peer] == nil {
            jobQueue.yield { [weak self] in try? await self?.addPeer(peer) }
        }
        let limits = configuration.router.rpcLimits
        do {
            while let frame = try await stream.readLengthPrefixed(maxLength: limits.maxFrameLength) {
                let rpc: GossipRPC
                do {
                    rpc = try GossipRPCCodec.decode(frame, limits: limits)
                } catch {
                    logger.debug("malformed gossip frame: \(error)", metadata: ["peer": "\(peer)"])
                    router.penalise(peer)
                    continue
                }
                await execute(router.receive(rpc, from: peer, now: now))
            }
        } catch {
            logger.debug("gossip stream failed: \(error)", metadata: ["peer": "\(peer)"])
        }
        await drop(peer)
    }

    private nonisolated func write(_ link: Link, to peer: PeerID) async {
        for await frame in link.queue {
            do {
                try await link.stream.writeLengthPrefixed(frame)
            } catch {
                await drop(peer)
                return
            }
            await written(frame.count, to: peer)
        }
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

    private func drop(_ peer: PeerID) async {
        queued[peer] = nil
        if let link = links.removeValue(forKey: peer) {
            link.frames.finish()
            await link.stream.reset()
        }
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
