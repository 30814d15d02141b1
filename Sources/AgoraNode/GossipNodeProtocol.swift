import AgoraCore
import AgoraGossip
import AgoraStore
import AgoraSync
import AgoraWire
import Logging

/// Runs gossipsub (`/meshsub/1.1.0`) on the node: subscribes the network's topic, adds every
/// peer that identifies with gossip, announces every event that lands in the local log without
/// coming from a peer (written by this process or another one on the same store), and admits
/// what peers gossip only through the node's one writer. Events that arrive by sync or gossip
/// are never announced again by this module: gossip forwards them itself, and a mirror's
/// catch-up must not flood the network.
public final class GossipNodeProtocol: NodeProtocol {
    public let service: GossipService
    public let topic: String
    private let writer: EventWriter
    private let sync: SyncNodeProtocol
    private let logger: Logger

    init(host: P2PHost, writer: EventWriter, sync: SyncNodeProtocol, configuration: NodeConfiguration, logger: Logger) {
        let admission = GossipAdmission(writer: writer, sync: sync, host: host, logger: logger)
        self.service = GossipService(host: host, configuration: configuration.gossip, validator: admission.validate, logger: logger)
        self.topic = configuration.gossipTopic
        self.writer = writer
        self.sync = sync
        self.logger = logger
    }

    public func run(in context: NodeContext) async throws {
        try await service.start()
        await service.subscribe(topic)
        await withDiscardingTaskGroup { group in
            group.addTask { await self.service.run() }
            // What the router delivers is already stored (validation appended it).
            group.addTask { for await _ in self.service.deliveries {} }
            group.addTask { await self.announce(context) }
            for await event in context.peerEvents {
                guard case .identified(let info) = event, info.protocols.contains(GossipProtocol.v11) else { continue }
                if await sync.sessions.isBanned(info.peer) {
                    await context.host.disconnect(info.peer)
                } else {
                    await service.addPeer(info.peer)
                }
            }
            group.cancelAll()
        }
        await service.stop()
    }

    func status() async -> NodeStatus.Gossip {
        let counters = await service.counters
        return NodeStatus.Gossip(
            topic: topic, meshPeers: await service.meshPeers(topic).count, delivered: counters.delivered,
            duplicates: counters.duplicates, rejected: counters.rejected, ignored: counters.ignored)
    }

    /// Publishes what the local log gains that the writer did not append from a peer. The
    /// log as it was at start is not announced: peers get it by sync.
    private func announce(_ context: NodeContext) async {
        var cursor = await context.log.latest
        while !Task.isCancelled {
            await context.log.wait(beyond: cursor, timeout: .seconds(1))
            let latest = await context.log.latest
            guard latest > cursor else { continue }
            do {
                for range in try await writer.localAppends(after: cursor, through: latest) {
                    try await publish(range, store: context.store)
                }
            } catch {
                logger.warning("cannot announce local events: \(error)")
            }
            cursor = latest
        }
    }

    private func publish(_ range: ClosedRange<UInt64>, store: Store) async throws {
        var after = range.lowerBound - 1
        while after < range.upperBound {
            let page = try store.changes(after: after, upTo: range.upperBound, maxEvents: 256, maxBytes: 4 << 20)
            for event in page.events {
                do {
                    try await service.publish(event.bytes, topic: topic)
                } catch {
                    logger.debug("not announcing \(event.id): \(error)")
                }
            }
            guard page.through > after else { return }
            after = page.through
        }
    }
}

/// Judges one gossiped event: forged → reject (the router's P4 penalty) and the sender is cut
/// off at once, as sync does — a gossipsub peer validates before it forwards, so an honest one
/// never relays a bad signature; appended or already held → accept (delivered and forwarded);
/// its predecessor missing → ignore, and sync catches up with the sender, which holds the
/// chain; equivocation or a broken chain (signed by the author, so the forwarder is not to
/// blame) → ignore.
final class GossipAdmission: Sendable {
    private let writer: EventWriter
    private let sync: SyncNodeProtocol
    private let host: P2PHost
    private let logger: Logger

    init(writer: EventWriter, sync: SyncNodeProtocol, host: P2PHost, logger: Logger) {
        self.writer = writer
        self.sync = sync
        self.host = host
        self.logger = logger
    }

    func validate(_ message: GossipMessage, from peer: PeerID) async -> GossipValidation {
        guard let event = EventValidation.event(in: message) else {
            await cutOff(peer, reason: "gossiped a forged event")
            return .reject
        }
        let outcome: AppendOutcome?
        do {
            outcome = try await writer.appendFromNetwork([event], from: peer).first
        } catch {
            return .ignore
        }
        switch outcome {
        case .appended, .duplicate:
            return .accept
        case .rejected(.gap):
            sync.catchUp(with: peer)
            return .ignore
        case .rejected(.badSignature(let seq)):
            await cutOff(peer, reason: "gossiped a forged event (\(event.author.short) seq \(seq))")
            return .reject
        case .rejected(.brokenChain), .equivocation, nil:
            return .ignore
        }
    }

    private func cutOff(_ peer: PeerID, reason: String) async {
        logger.info("cutting off peer: \(reason)", metadata: ["peer": "\(peer)"])
        await sync.ban(peer, reason: reason, host: host)
    }
}
