import AgoraBlob
import AgoraCore
import AgoraDHT
import AgoraStore
import AgoraSync
import AgoraWire
import Foundation
import Logging

/// A node that only dials, for a command that needs the network for a moment (`agora
/// install`): a fresh libp2p identity (a daemon on the same home keeps its own, and the two
/// never collide), no listening socket, the shared store. It dials the given peers and every
/// peer the store remembers, syncs the log from them like any node and fetches archives. A
/// client-mode DHT node (nothing announced) finds what those peers lack: the holders of an
/// archive (`fetchAll`) and of a package the log does not know yet (`discover`).
public final class NetworkClient: Sendable {
    public enum Failure: Error, CustomStringConvertible, Equatable {
        case noPeers(tried: Int)

        public var description: String {
            switch self {
            case .noPeers(let tried):
                tried == 0
                    ? "no peer to ask: pass --bootstrap <multiaddr>, or start `agora serve` on this home"
                    : "no peer reachable (tried \(tried) address\(tried == 1 ? "" : "es"))"
            }
        }
    }

    public let node: AgoraNode
    public let blobs: BlobNodeProtocol
    /// nil when made with `dht: false`.
    public let dht: DHTNodeProtocol?

    private init(node: AgoraNode, blobs: BlobNodeProtocol, dht: DHTNodeProtocol?) {
        self.node = node
        self.blobs = blobs
        self.dht = dht
    }

    /// Runs `body` with a started client; the client stops when `body` returns or throws, after
    /// writing what it observed about peers when `reporter` names a key.
    /// Fails with `Failure.noPeers` when no peer connects within `connectTimeout`. Stopping
    /// cancels what peers still have open here (their sync sessions) after a short grace.
    /// - Parameter dht: joins the DHT (client mode) through the same peers, and asks it for
    ///   archives no connected peer has.
    @discardableResult
    public static func with<T: Sendable>(
        store: Store, peers: [Multiaddr], providerSources: [any ArchiveProviderSource] = [], dht: Bool = true,
        dhtRequestTimeout: Duration = .seconds(10), connectTimeout: Duration = .seconds(10), host: HostConfiguration = HostConfiguration(),
        reporter: ReputationSigner = .none, reporterGuard: (any FeedSigningGuard)? = nil, logger: Logger = Logger(label: "agora.client"),
        _ body: (NetworkClient) async throws -> T
    ) async throws -> T {
        let kad = dht
            ? DHTNodeProtocol(configuration: .init(dht: DHTConfiguration(requestTimeout: dhtRequestTimeout), mode: .client, announces: false))
            : nil
        let sources = providerSources + (kad.map { [DHTArchiveProviders(dht: $0, store: store)] } ?? [])
        let blobs = BlobNodeProtocol(providerSources: sources)
        var host = host
        host.shutdownGrace = .milliseconds(100)
        let configuration = NodeConfiguration(listen: [], bootstrap: peers, host: host, redialInterval: .seconds(2))
        let modules: [any NodeProtocol] = [blobs] + (kad.map { [$0] } ?? [])
        let node = try AgoraNode(
            identity: Identity.generate(), store: store, configuration: configuration, protocols: modules, reporter: reporter, reporterGuard: reporterGuard,
            logger: logger)
        let client = NetworkClient(node: node, blobs: blobs, dht: kad)
        let running = Task { try await node.run() }
        defer { running.cancel() }
        do {
            let tried = peers.count + ((try? store.knownPeers().count) ?? 0)
            guard tried > 0 else { throw Failure.noPeers(tried: 0) }
            guard try await client.waitFor(within: connectTimeout, { await !node.host.connectedPeers.isEmpty }) else {
                throw Failure.noPeers(tried: tried)
            }
            // The other dials of the round get a moment (bounded: an address that swallows
            // packets must not hold the install up); a fetch asks whoever is connected then.
            _ = try await client.waitFor(within: .seconds(3)) { node.firstDialRoundEnded }
            let result = try await body(client)
            running.cancel()
            _ = try? await running.value
            return result
        } catch {
            running.cancel()
            _ = try? await running.value
            throw error
        }
    }

    /// Waits until every connected peer that serves sync has been replicated up to its live
    /// end, or `timeout` passes; true when caught up. False at once when every connected peer
    /// has identified itself and none serves sync (a DHT-only peer). Peers in `required` (just
    /// dialled, perhaps not identified yet) must be among those caught up. Caught up, it folds
    /// what the writer deferred, so the views hold everything synced when this returns.
    @discardableResult
    public func catchUp(within timeout: Duration, required: [PeerID] = []) async throws -> Bool {
        var noSyncPeer = false
        let caughtUp = try await waitFor(within: timeout) {
            let peers = await node.status().peers
            let serving = peers.filter { $0.protocols.contains(SyncProtocol.id) }
            let live = Set(serving.filter { $0.live == true }.map(\.peerID))
            guard required.allSatisfy({ live.contains($0.base58) }) else { return false }
            noSyncPeer = !peers.isEmpty && serving.isEmpty && peers.allSatisfy { !$0.protocols.isEmpty }
            return noSyncPeer || (!serving.isEmpty && live.count == serving.count)
        }
        if caughtUp, !noSyncPeer { try await node.writer.foldViews() }
        return caughtUp && !noSyncPeer
    }

    /// Finds the nodes that announced `scope/name` in the DHT and connects to them (at most
    /// `limit`), so sync replicates their feeds; returns those connected (for `catchUp`'s
    /// `required`). Empty when the DHT is off, could not be joined within `timeout`, or knows
    /// no provider.
    public func discover(scope: String, name: String, limit: Int = 4, within timeout: Duration = .seconds(30)) async -> [PeerID] {
        guard let dht, await dht.joined(within: timeout) else { return [] }
        var connected: [PeerID] = []
        for provider in await dht.findProviders(scope: scope, name: name, count: limit) {
            for address in provider.addresses {
                guard (try? await node.host.connect(to: address.withPeerID(provider.peer))) != nil else { continue }
                connected.append(provider.peer)
                break
            }
        }
        return connected
    }

    /// Resolves through the DHT what the peers reached do not know: while `unknown` names a
    /// package the log lacks (the requested one, or a dependency published by a node nobody
    /// reached replicates), finds its providers and syncs their feeds. Each package is looked
    /// up once; returns when `unknown` names nothing (true), or names a package already looked
    /// up or without providers, or after `maxLookups` (false).
    public func discoverUntilKnown(
        maxLookups: Int = 32, within timeout: Duration, unknown: () throws -> (scope: String, name: String)?
    ) async throws -> Bool {
        var asked: Set<String> = []
        while let package = try unknown() {
            guard asked.count < maxLookups, asked.insert("\(package.scope)/\(package.name)").inserted else { return false }
            let found = await discover(scope: package.scope, name: package.name, within: timeout)
            guard !found.isEmpty else { return false }
            try await catchUp(within: timeout, required: found)
        }
        return true
    }

    /// Fetches every archive in `digests`, `concurrency` at a time (each from several peers
    /// at once); the first failure cancels the rest and is rethrown.
    public func fetchAll(
        _ digests: [BlobDigest], concurrency: Int = 4,
        onProgress: @escaping @Sendable (_ digest: BlobDigest, _ done: Int, _ total: Int) -> Void = { _, _, _ in }
    ) async throws {
        let blobs = self.blobs
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, digest) in digests.enumerated() {
                if index >= max(1, concurrency) { try await group.next() }
                group.addTask { _ = try await blobs.fetch(digest) { onProgress(digest, $0, $1) } }
            }
            try await group.waitForAll()
        }
    }

    /// Polls every 5 ms: an install waits here for the connection and the catch-up, so the
    /// interval is latency a user sees, and a status read costs microseconds.
    private func waitFor(within timeout: Duration, _ condition: () async throws -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(5))
        }
        return try await condition()
    }
}
