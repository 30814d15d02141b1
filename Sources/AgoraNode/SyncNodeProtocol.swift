import AgoraStore
import AgoraSync
import AgoraWire
import CoreMetrics
import Logging

/// Runs `/agora/sync/1.0.0` on the node: serves the store to every peer and follows the
/// changes feed of every identified peer that speaks it, from the position stored for that
/// peer. A peer that breaks the protocol (forged events, garbage, oversized frames) is
/// disconnected and not followed again for `SyncSessions.banDuration`; only its session ends.
/// Other modules ask it to catch up with a peer (`catchUp`) when they learn the peer holds
/// events this node lacks (a gossip message whose predecessor is missing).
public final class SyncNodeProtocol: NodeProtocol {
    let sessions = SyncSessions()
    /// Peers to catch up with; bounded (newest kept), a request for a peer with a session
    /// running is dropped, as that session fetches the same events anyway.
    private let requests: AsyncStream<PeerID>
    private let requestQueue: AsyncStream<PeerID>.Continuation
    static let misbehaviour = Counter(label: "agora_protocol_errors_total", dimensions: [("protocol", SyncProtocol.id), ("kind", "misbehaviour")])
    static let sessionErrors = Counter(label: "agora_protocol_errors_total", dimensions: [("protocol", SyncProtocol.id), ("kind", "session")])

    let reputation: Reputation

    init(reputation: Reputation) {
        self.reputation = reputation
        (requests, requestQueue) = AsyncStream.makeStream(of: PeerID.self, bufferingPolicy: .bufferingNewest(256))
    }

    /// Starts a session with `peer` (if none runs) that ends once this node has caught up.
    func catchUp(with peer: PeerID) {
        requestQueue.yield(peer)
    }

    public func run(in context: NodeContext) async throws {
        let source = StoreLogSource(store: context.store)
        let limits = context.configuration.sync.limits
        let log = context.log
        let writer = context.writer
        try await context.host.handle(SyncProtocol.id) { stream in
            // A peer is not sent back what it sent us (see `PeerEchoes`).
            let peer = stream.remotePeer
            let served = StoreLogSource(store: source.store) { after, upTo in writer.echoes(of: peer, after: after, upTo: upTo) }
            try await SyncProtocol.serve(stream, source: served, watcher: log, limits: limits)
        }
        await withDiscardingTaskGroup { outer in
            outer.addTask {
                await withDiscardingTaskGroup { group in
                    for await peer in self.requests {
                        self.start(peer, untilCaughtUp: true, in: &group, context: context, source: source)
                    }
                }
            }
            await withDiscardingTaskGroup { group in
                for await event in context.peerEvents {
                    switch event {
                    case .disconnected(let peer):
                        writer.forgetEchoes(of: peer)
                    case .identified(let info) where context.configuration.followPeers && info.protocols.contains(SyncProtocol.id):
                        self.start(info.peer, untilCaughtUp: false, in: &group, context: context, source: source)
                    default:
                        continue
                    }
                }
            }
        }
    }

    private func start(
        _ peer: PeerID, untilCaughtUp: Bool, in group: inout DiscardingTaskGroup, context: NodeContext, source: StoreLogSource
    ) {
        group.addTask {
            guard await self.sessions.begin(peer) else { return }
            await self.follow(peer, untilCaughtUp: untilCaughtUp, context: context, source: source)
            await self.sessions.end(peer)
        }
    }

    /// Follows `peer` while it is connected, starting a new session after a failure that
    /// was not the peer's fault (a reset stream, a closed connection).
    private func follow(_ peer: PeerID, untilCaughtUp: Bool, context: NodeContext, source: StoreLogSource) async {
        var logger = context.logger
        logger[metadataKey: "peer"] = "\(peer)"
        while !Task.isCancelled, await context.host.connectedPeers.contains(peer) {
            do {
                guard let role = try await awaitRole(peer, context: context) else { return }
                let position = try context.store.syncPosition(of: peer.bytes)
                let stream = try await context.host.newStream(to: peer, protocols: [SyncProtocol.id])
                // What this node holds, so the peer lists those events instead of sending them.
                let holdings = try source.holdings(maxCount: context.configuration.sync.limits.maxHeldFeeds)
                var machine = SyncClientMachine(
                    position: position, skim: role == .skim, holdings: holdings, configuration: context.configuration.sync)
                logger.debug("following", metadata: ["from": "\(position)", "role": "\(role)"])
                await sessions.started(peer, session: machine)
                do {
                    try await SyncProtocol.follow(
                        stream, machine: &machine, source: source, sink: context.writer, untilCaughtUp: untilCaughtUp
                    ) { machine, waiting in
                        await self.sessions.update(peer, machine: machine, waiting: waiting)
                    }
                } catch {
                    await stream.reset()
                    throw error
                }
                try? await stream.closeWrite()
                await stream.reset()
                if untilCaughtUp, machine.headsChecked, machine.lag == 0 { return }
                try await Task.sleep(for: .seconds(1))
            } catch let error as SyncError where error.isMisbehaviour {
                Self.misbehaviour.increment()
                logger.info("cutting off peer: \(error)")
                await ban(peer, reason: "\(error)", host: context.host)
                return
            } catch is CancellationError {
                return
            } catch {
                Self.sessionErrors.increment()
                logger.debug("sync session ended: \(error)")
                await sessions.failed(peer, "\(error)", ban: false)
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }

    /// Waits (polling) while another session leads the catch-up and moves (see `SyncSessions`);
    /// nil when `peer` disconnects meanwhile.
    private func awaitRole(_ peer: PeerID, context: NodeContext) async throws -> SyncSessions.Role? {
        while await context.host.connectedPeers.contains(peer) {
            if let role = await sessions.role(for: peer, takeoverAfter: context.configuration.sync.takeoverAfter) { return role }
            try await Task.sleep(for: .milliseconds(50))
        }
        return nil
    }

    /// Cuts `peer` off: disconnected, and neither followed nor redialled for the ban's length.
    /// `penalise` records the offence in the reputation log (not for a ban the log decided).
    func ban(_ peer: PeerID, reason: String, host: P2PHost, penalise: Bool = true) async {
        if penalise { reputation.penalise(peer, reason: reason) }
        await sessions.failed(peer, reason, ban: true)
        await host.disconnect(peer)
    }
}
