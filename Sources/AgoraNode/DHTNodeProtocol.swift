import AgoraCore
import AgoraDHT
import AgoraStore
import AgoraWire
import Logging

/// The Kademlia DHT as a node module: it joins through the node's bootstrap and remembered
/// peers, takes every identified peer that serves kad into its table, refreshes buckets and
/// republishes records once a minute, and announces (ADD_PROVIDER) every feed the store
/// holds and every package whose archive it holds, plus the publisher's own signed feed head
/// (PUT_VALUE). Install and sync ask it through `findProviders`.
public actor DHTNodeProtocol: NodeProtocol {
    public struct Configuration: Sendable {
        public var dht: DHTConfiguration
        /// nil decides from the listen addresses (see `automaticMode`).
        public var mode: DHTConfiguration.Mode?
        /// Where signed feed-head records are kept (LMDB); nil keeps none and refuses PUT_VALUE.
        public var recordStorePath: String?
        /// The publisher key of this home, whose feed head the node signs and puts.
        public var feedAuthor: Identity?
        public var maintenanceInterval: Duration
        /// Announcements running at once: a node that holds many packages does not start
        /// hundreds of lookups together.
        public var concurrentAnnouncements: Int
        /// Releases whose archive this node lacks, rechecked each pass (a mirror fetches them
        /// later); past this many the oldest are forgotten.
        public var maxPendingReleases: Int
        /// False for a node that only asks (the short-lived client of `agora install`): it
        /// holds nothing others should come back for once it has gone.
        public var announces: Bool

        public init(
            dht: DHTConfiguration = .init(), mode: DHTConfiguration.Mode? = nil, recordStorePath: String? = nil,
            feedAuthor: Identity? = nil, maintenanceInterval: Duration = .seconds(60), concurrentAnnouncements: Int = 4,
            maxPendingReleases: Int = 10_000, announces: Bool = true
        ) {
            self.dht = dht
            self.mode = mode
            self.recordStorePath = recordStorePath
            self.feedAuthor = feedAuthor
            self.maintenanceInterval = maintenanceInterval
            self.concurrentAnnouncements = concurrentAnnouncements
            self.maxPendingReleases = maxPendingReleases
            self.announces = announces
        }
    }

    /// A node that announced it holds something, with the addresses it can be dialled at.
    public struct Provider: Sendable, Equatable {
        public var peer: PeerID
        public var addresses: [Multiaddr]
    }

    public nonisolated let configuration: Configuration
    /// The running DHT; nil before `run` and after it ended.
    public private(set) var node: DHTNode?
    private var joined = false
    /// Bootstrap rounds that ended with an empty table since the node last joined.
    private var failedRounds = 0

    public init(configuration: Configuration = .init()) {
        self.configuration = configuration
    }

    /// Server mode when the node can be reached: it listens on a loopback, wildcard, public
    /// or DNS address. A node listening only on private-network addresses is most likely
    /// behind a NAT, where peers that put it in their tables could not dial it.
    public static func automaticMode(listeningOn addresses: [Multiaddr]) -> DHTConfiguration.Mode {
        addresses.contains { $0.components.first.map(isReachable) ?? false } ? .server : .client
    }

    private static func isReachable(_ component: Multiaddr.Component) -> Bool {
        switch component {
        case .ip4(let b):
            guard b.count == 4 else { return false }
            let privateRange = b[0] == 10 || (b[0] == 172 && (16...31).contains(b[1])) || (b[0] == 192 && b[1] == 168)
                || (b[0] == 169 && b[1] == 254) || (b[0] == 100 && (64...127).contains(b[1]))
            return !privateRange
        case .ip6(let b):
            guard b.count == 16 else { return false }
            return (b[0] & 0xfe) != 0xfc && !(b[0] == 0xfe && (b[1] & 0xc0) == 0x80)
        case .dns, .dns4, .dns6, .dnsaddr:
            return true
        default:
            return false
        }
    }

    public func run(in context: NodeContext) async throws {
        var dht = configuration.dht
        let listening = await context.host.listenAddresses
        dht.mode = configuration.mode ?? Self.automaticMode(listeningOn: listening)
        let node = try DHTNode(host: context.host, configuration: dht, recordStorePath: configuration.recordStorePath, logger: context.logger)
        try await node.start()
        self.node = node
        defer { self.node = nil }
        await withDiscardingTaskGroup { group in
            group.addTask {
                for await event in context.peerEvents {
                    if case .identified(let info) = event { await node.peerIdentified(info) }
                }
            }
            group.addTask { await self.joinAndMaintain(node, context: context) }
            guard configuration.announces else { return }
            group.addTask { await self.announceHoldings(node, context: context) }
            if let author = configuration.feedAuthor {
                group.addTask { await self.putFeedHeads(of: author, node: node, context: context) }
            }
        }
    }

    // MARK: Joining and maintenance

    /// Bootstraps until some peer answered or dialled us (the bootstrap peers may start later
    /// than we do), backing off to once a minute; then maintains, and bootstraps again if the
    /// table empties.
    private func joinAndMaintain(_ node: DHTNode, context: NodeContext) async {
        var backoff: Duration = .seconds(1)
        while !Task.isCancelled {
            if await node.routingTableSize == 0 {
                // A node that announces nothing (a command's client) fills its table by asking.
                await node.bootstrap(Self.bootstrapPeers(context), fillTable: configuration.announces)
                guard await node.routingTableSize > 0 else {
                    failedRounds += 1
                    try? await Task.sleep(for: backoff)
                    backoff = min(backoff * 2, configuration.maintenanceInterval)
                    continue
                }
                backoff = .seconds(1)
                failedRounds = 0
                joined = true
            } else {
                // Peers that dialled us filled the table (the network's first node has nobody
                // to bootstrap through): we are in.
                joined = true
                await node.maintain()
            }
            try? await Task.sleep(for: configuration.maintenanceInterval)
        }
    }

    /// The node's bootstrap peers and up to 32 remembered peers, as dialable addresses.
    static func bootstrapPeers(_ context: NodeContext) -> [Multiaddr] {
        var peers = context.configuration.bootstrap.filter { $0.peerID != nil }
        for known in ((try? context.store.knownPeers()) ?? []).prefix(32) {
            guard let peer = try? PeerID(bytes: known.peer), peer != context.host.peerID,
                  !peers.contains(where: { $0.peerID == peer }),
                  let address = known.addresses.lazy.compactMap({ try? Multiaddr(bytes: $0) }).first
            else { continue }
            peers.append(address.withPeerID(peer))
        }
        return peers
    }

    /// Waits until the first bootstrap succeeded: announcing into an empty table reaches nobody.
    private func waitUntilJoined() async {
        while !joined, !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(250))
        }
    }

    /// Waits (at most `limit`) until the routing table holds a peer, for queries that would
    /// otherwise ask an empty table (a lookup fills it further); true when it does. Gives up
    /// early when a bootstrap round failed and no connected peer serves kad (its peers run
    /// without the DHT): `agora install` then falls back at once instead of after the limit.
    public func joined(within limit: Duration) async -> Bool {
        let deadline = ContinuousClock.now + limit
        while !Task.isCancelled {
            if let node, await node.routingTableSize > 0 { return true }
            guard ContinuousClock.now < deadline else { return false }
            if let node, failedRounds > 0, await !Self.mayServeKad(node.host) { return false }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    /// Whether some connected peer serves kad or has not said yet (identify still running).
    private static func mayServeKad(_ host: P2PHost) async -> Bool {
        for peer in await host.connectedPeers {
            guard let info = await host.peerInfo(peer) else { return true }
            if info.protocols.contains(DHTNode.protocolID) { return true }
        }
        return false
    }

    // MARK: Announcing

    /// Reads the log from the start and then as it grows, announcing each feed once and each
    /// package once its archive is in the store; the node republishes them every 22 h.
    private func announceHoldings(_ node: DHTNode, context: NodeContext) async {
        await waitUntilJoined()
        var scanner = HoldingsScanner(maxPending: configuration.maxPendingReleases)
        var after: UInt64 = 0
        while !Task.isCancelled {
            do {
                while true {
                    let page = try context.store.events(since: after, limit: 1000)
                    guard let last = page.last else { break }
                    for entry in page { scanner.note(entry.event) }
                    after = last.localSeq
                }
                let keys = try scanner.takeNewKeys { digest in try context.store.hasBlob(digest) }
                await announce(keys, on: node)
            } catch {
                context.logger.warning("dht: cannot read the store: \(error)")
            }
            await context.log.wait(beyond: after, timeout: configuration.maintenanceInterval)
        }
    }

    private func announce(_ keys: [[UInt8]], on node: DHTNode) async {
        let width = max(1, configuration.concurrentAnnouncements)
        await withTaskGroup(of: Void.self) { group in
            for (index, key) in keys.enumerated() {
                if index >= width { await group.next() }
                group.addTask { _ = await node.provide(key) }
            }
        }
    }

    /// Signs and puts the publisher's feed head whenever it advances, and again every
    /// republish interval (records on other nodes do not outlive restarts of theirs).
    private func putFeedHeads(of author: Identity, node: DHTNode, context: NodeContext) async {
        await waitUntilJoined()
        var put: (seq: UInt64, at: ContinuousClock.Instant)?
        while !Task.isCancelled {
            let seen = await context.log.latest
            do {
                if let head = try context.store.head(of: author.publicKey),
                   put.map({ $0.seq < head.seq || $0.at + configuration.dht.republishInterval < .now }) ?? true {
                    let signed = try SignedFeedHead.sign(seq: head.seq, head: head.id, by: author)
                    if try await node.putFeedHead(signed) > 0 { put = (head.seq, .now) }
                }
            } catch {
                context.logger.warning("dht: cannot put the feed head: \(error)")
            }
            await context.log.wait(beyond: seen, timeout: configuration.maintenanceInterval)
        }
    }

    // MARK: Queries

    /// Nodes that announced they hold `scope/name`'s archives, this node excluded, with their
    /// addresses; empty while the DHT is not running or nobody announced it.
    public func findProviders(scope: String, name: String, count: Int = 20) async -> [Provider] {
        await findProviders(key: DHTNames.packageProviderKey(scope: scope, name: name), count: count)
    }

    /// Nodes that announced they hold `author`'s feed.
    public func findProviders(feed author: PublicKey, count: Int = 20) async -> [Provider] {
        await findProviders(key: DHTNames.feedProviderKey(author: author), count: count)
    }

    private func findProviders(key: [UInt8], count: Int) async -> [Provider] {
        guard let node else { return [] }
        var found: [Provider] = []
        for peer in await node.findProviders(key, count: count + 1) where peer != node.host.peerID {
            var addresses = await node.addresses(of: peer)
            // A provider record may come without addresses (libp2p peers send them separately).
            if addresses.isEmpty { addresses = await node.findPeer(peer) }
            found.append(Provider(peer: peer, addresses: addresses))
        }
        return Array(found.prefix(count))
    }
}
