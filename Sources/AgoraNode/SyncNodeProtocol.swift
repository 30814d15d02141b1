import AgoraStore
import AgoraSync
import AgoraWire
import CoreMetrics
import Logging

/// Runs `/agora/sync/1.0.0` on the node: serves the store to every peer and follows the
/// changes feed of every identified peer that speaks it, from the position stored for that
/// peer. A peer that breaks the protocol (forged events, garbage, oversized frames) is
/// disconnected and not followed again for `SyncSessions.banDuration`; only its session ends.
public final class SyncNodeProtocol: NodeProtocol {
    let sessions = SyncSessions()
    static let misbehaviour = Counter(label: "agora_protocol_errors_total", dimensions: [("protocol", SyncProtocol.id), ("kind", "misbehaviour")])
    static let sessionErrors = Counter(label: "agora_protocol_errors_total", dimensions: [("protocol", SyncProtocol.id), ("kind", "session")])

    public init() {}

    public func run(in context: NodeContext) async throws {
        let source = StoreLogSource(store: context.store)
        let limits = context.configuration.sync.limits
        let log = context.log
        try await context.host.handle(SyncProtocol.id) { stream in
            try await SyncProtocol.serve(stream, source: source, watcher: log, limits: limits)
        }
        await withDiscardingTaskGroup { group in
            for await event in context.peerEvents {
                guard case .identified(let info) = event, info.protocols.contains(SyncProtocol.id) else { continue }
                guard await sessions.begin(info.peer) else { continue }
                group.addTask {
                    await self.follow(info.peer, context: context, source: source)
                    await self.sessions.end(info.peer)
                }
            }
        }
    }

    /// Follows `peer` while it is connected, starting a new session after a failure that
    /// was not the peer's fault (a reset stream, a closed connection).
    private func follow(_ peer: PeerID, context: NodeContext, source: StoreLogSource) async {
        var logger = context.logger
        logger[metadataKey: "peer"] = "\(peer)"
        while !Task.isCancelled, await context.host.connectedPeers.contains(peer) {
            do {
                let position = try context.store.syncPosition(of: peer.bytes)
                let stream = try await context.host.newStream(to: peer, protocols: [SyncProtocol.id])
                var machine = SyncClientMachine(position: position, configuration: context.configuration.sync)
                logger.debug("following", metadata: ["from": "\(position)"])
                await sessions.started(peer, session: machine)
                do {
                    try await SyncProtocol.follow(stream, machine: &machine, source: source, sink: context.writer) { machine in
                        await self.sessions.update(peer, machine: machine)
                    }
                } catch {
                    await stream.reset()
                    throw error
                }
                try? await stream.closeWrite()
                await stream.reset()
                try await Task.sleep(for: .seconds(1))
            } catch let error as SyncError where error.isMisbehaviour {
                Self.misbehaviour.increment()
                logger.info("cutting off peer: \(error)")
                await sessions.failed(peer, "\(error)", ban: true)
                await context.host.disconnect(peer)
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
}
