import AgoraCore
import AgoraWire
import Logging

/// The thin shell that runs the kad machines on a `P2PHost`: it serves `/ipfs/kad/1.0.0`
/// (server mode), sends requests, and drives `Lookup`s over real streams. All protocol
/// decisions are in the machines (`RoutingTable`, `Lookup`, `ProviderStore`,
/// `FeedHeadValidator`) and in `KadResponder`; this actor only does I/O and keeps their state.
public actor DHTNode {
    public static let protocolID = "/ipfs/kad/1.0.0"

    public nonisolated let host: P2PHost
    public nonisolated let configuration: DHTConfiguration
    nonisolated let localKey: DHTKey
    private let logger: Logger
    private let clock = ContinuousClock()
    private let started: ContinuousClock.Instant
    var table: RoutingTable<PeerID>
    var providers: ProviderStore<[UInt8], PeerID>
    var records: DHTRecordStore?
    var schedule: ProvideSchedule<[UInt8]>
    var addresses = AddressBook()
    /// Peers whose liveness check is running, so one slow peer is not probed twice.
    private var probing: Set<PeerID> = []
    /// Peers that asked us but did not answer kad themselves (clients), bounded.
    private var notServing: Set<PeerID> = []

    /// - Parameter recordStorePath: where feed-head records are kept (LMDB); nil keeps none and
    ///   refuses PUT_VALUE.
    public init(host: P2PHost, configuration: DHTConfiguration = DHTConfiguration(), recordStorePath: String? = nil, logger: Logger = Logger(label: "agora.dht")) throws {
        self.host = host
        self.configuration = configuration
        self.logger = logger
        localKey = DHTKey(hashing: host.peerID.bytes)
        table = RoutingTable(localKey: localKey, bucketSize: configuration.bucketSize)
        providers = ProviderStore(limits: configuration.providers)
        schedule = ProvideSchedule(republishInterval: configuration.republishInterval)
        records = try recordStorePath.map { try DHTRecordStore(path: $0) }
        started = clock.now
        addresses = AddressBook(maxPeers: configuration.maxAddressBook, maxAddressesPerPeer: configuration.maxAddressesPerPeer)
    }

    var now: Duration { clock.now - started }

    /// Registers the kad handler (server mode only: a client does not advertise kad, so
    /// servers never put it in their tables).
    public func start() async throws {
        guard configuration.mode == .server else { return }
        try await host.handle(Self.protocolID) { [weak self] stream in
            try await self?.serve(stream)
        }
    }

    // MARK: Serving

    private nonisolated func serve(_ stream: P2PStream) async throws {
        let limits = configuration.limits
        while true {
            let frame = try await withWireTimeout(configuration.inboundIdleTimeout, operation: "kad request", onTimeout: { stream.stream.reset() }) {
                try await stream.readLengthPrefixed(maxLength: limits.maxFrameLength)
            }
            guard let frame else { return }
            let request = try KadMessage(decoding: frame, limits: limits)
            let reply = try await answer(request, from: stream.remotePeer)
            if let reply { try await stream.writeLengthPrefixed(reply.encoded()) }
        }
    }

    private func answer(_ request: KadMessage, from peer: PeerID) async throws -> KadMessage? {
        await learnInbound(peer)
        var responder = KadResponder(
            local: host.peerID, table: table, providers: providers, records: records, addresses: addresses,
            bucketSize: configuration.bucketSize
        )
        let reply = try responder.respond(to: request, from: peer, now: now)
        providers = responder.providers
        records = responder.records
        addresses = responder.addresses
        return reply
    }

    /// A peer that asks us enters our table only if it serves kad itself: identify says so,
    /// or (identify may have run before the peer registered its kad handler) it answers a
    /// FIND_NODE of ours. Peers found not to serve kad are not asked again for a while.
    private func learnInbound(_ peer: PeerID) async {
        if let info = await host.peerInfo(peer), info.protocols.contains(Self.protocolID) {
            peerIdentified(info)
            return
        }
        guard !table.contains(peer, key: DHTKey(hashing: peer.bytes)), !notServing.contains(peer),
              probing.count < Self.maxConcurrentProbes, probing.insert(peer).inserted
        else { return }
        Task { await self.verifyServing(peer) }
    }

    static let maxConcurrentProbes = 16
    static let maxNotServing = 1024

    private func verifyServing(_ peer: PeerID) async {
        let serving = (try? await request(.init(type: .findNode, key: host.peerID.bytes), to: peer)) != nil
        probing.remove(peer)
        if serving {
            admit(peer)
        } else {
            if notServing.count >= Self.maxNotServing { notServing.removeAll() }
            notServing.insert(peer)
        }
    }

    /// A connected peer told us (identify) what it speaks: one that serves kad is offered to
    /// the table, so the node's ordinary connections feed the DHT without extra requests.
    public func peerIdentified(_ info: PeerInfo) {
        guard info.protocols.contains(Self.protocolID) else { return }
        addresses.add(info.listenAddrs, for: info.peer)
        admit(info.peer)
    }

    /// `peer` speaks kad and answered: offer it to the table, checking the oldest peer of a
    /// full bucket before anything is evicted.
    func admit(_ peer: PeerID) {
        guard peer != host.peerID else { return }
        switch table.peerResponded(peer, key: DHTKey(hashing: peer.bytes), now: now) {
        case .cached(let oldest):
            guard probing.insert(oldest).inserted else { return }
            Task { await self.probe(oldest) }
        case .ignoredSelf, .refreshed, .added, .cachedWhileProbing:
            break
        }
    }

    /// The liveness check: a FIND_NODE for our own key, which only a kad peer answers.
    private func probe(_ peer: PeerID) async {
        let alive = (try? await request(.init(type: .findNode, key: host.peerID.bytes), to: peer)) != nil
        probing.remove(peer)
        table.probeFinished(peer, key: DHTKey(hashing: peer.bytes), alive: alive, now: now)
    }

    // MARK: Requests

    /// Sends one request and reads one answer, keeping our write side open until it has
    /// arrived (py-libp2p resets a stream half-closed before it answered).
    func request(_ message: KadMessage, to peer: PeerID, expectReply: Bool = true) async throws -> KadMessage? {
        let stream = try await openStream(to: peer)
        let limits = configuration.limits
        do {
            let reply = try await withWireTimeout(configuration.requestTimeout, operation: "kad request", onTimeout: { stream.stream.reset() }) {
                try await stream.writeLengthPrefixed(message.encoded())
                guard expectReply else { return nil as [UInt8]? }
                guard let bytes = try await stream.readLengthPrefixed(maxLength: limits.maxFrameLength) else {
                    throw KadRequestError.noAnswer
                }
                return bytes
            }
            try? await stream.closeWrite()
            return try reply.map { try KadMessage(decoding: $0, limits: limits) }
        } catch {
            await stream.reset()
            throw error
        }
    }

    /// Sends a request that gets no answer (ADD_PROVIDER); true when it was written.
    private func deliver(_ message: KadMessage, to peer: PeerID) async -> Bool {
        do {
            _ = try await request(message, to: peer, expectReply: false)
            return true
        } catch {
            logger.debug("kad: \(message.type) to \(peer) failed: \(error)")
            return false
        }
    }

    private func openStream(to peer: PeerID) async throws -> P2PStream {
        let timeout = configuration.requestTimeout
        let known = addresses.addresses(of: peer)
        return try await withWireTimeout(timeout, operation: "kad dial") { [host] in
            do {
                return try await host.newStream(to: peer, protocols: [Self.protocolID])
            } catch HostError.notConnected {
                for address in known {
                    guard (try? await host.connect(to: address.withPeerID(peer))) != nil else { continue }
                    return try await host.newStream(to: peer, protocols: [Self.protocolID])
                }
                throw HostError.notConnected(peer)
            }
        }
    }

    // MARK: Lookups

    /// What a finished lookup learnt.
    public struct LookupOutcome: Sendable {
        /// The closest peers that answered, closest first.
        public var closest: [PeerID]
        public var providers: [PeerID] = []
        public var records: [[UInt8]] = []
        public var requests: Int
        public var hops: Int
    }

    /// Runs one iterative lookup for `key` (the raw DHT key: peer ID bytes, provider key or
    /// record key) with `type` requests; stops early once `enoughProviders` are found.
    func lookup(_ key: [UInt8], type: KadMessage.MessageType, enoughProviders: Int = .max) async -> LookupOutcome {
        let target = DHTKey(hashing: key)
        let seeds = table.closest(to: target, count: configuration.lookup.resultCount).map { ($0.peer, $0.key) }
        var lookup = Lookup<PeerID>(target: target, seeds: seeds, configuration: configuration.lookup)
        var outcome = LookupOutcome(closest: [], requests: 0, hops: 0)
        let message = KadMessage(type: type, key: key)
        await withTaskGroup(of: (PeerID, KadMessage?).self) { group in
            var running = 0
            while true {
                switch lookup.next(now: now) {
                case .query(let peer):
                    running += 1
                    group.addTask { (peer, try? await self.request(message, to: peer)) }
                    continue
                case .finished:
                    group.cancelAll()
                    return
                case .waiting:
                    break
                }
                guard running > 0, let (peer, reply) = await group.next() else { return }
                running -= 1
                guard let reply else {
                    lookup.failed(peer)
                    table.remove(peer, key: DHTKey(hashing: peer.bytes))
                    continue
                }
                admit(peer)
                let closer = learn(reply.closerPeers)
                lookup.succeeded(peer, closer: closer.map { ($0, DHTKey(hashing: $0.bytes)) }, now: now)
                for provider in learn(reply.providerPeers) where !outcome.providers.contains(provider) {
                    outcome.providers.append(provider)
                }
                if let record = reply.record, record.key == key { outcome.records.append(record.value) }
                if outcome.providers.count >= enoughProviders {
                    lookup.finish()
                }
            }
        }
        outcome.closest = lookup.results.map(\.peer)
        outcome.requests = lookup.requestsSent
        outcome.hops = lookup.hops
        return outcome
    }

    /// Peers named in an answer, with their addresses remembered; invalid IDs are skipped.
    private func learn(_ peers: [KadMessage.Peer]) -> [PeerID] {
        peers.compactMap { entry in
            guard let peer = try? PeerID(bytes: entry.id), peer != host.peerID else { return nil }
            addresses.add(entry.addresses.compactMap { try? Multiaddr(bytes: $0) }, for: peer)
            return peer
        }
    }

    // MARK: Operations

    /// Joins the network through `peers` (full multiaddrs with /p2p), looks up our own key to
    /// fill the near buckets, then refreshes the others. Returns how many peers the table holds.
    /// - Parameter fillTable: false only enters the peers that answer, for a short-lived client
    ///   whose lookups fill the table as it asks (a full refresh dials dozens of peers).
    @discardableResult
    public func bootstrap(_ peers: [Multiaddr], fillTable: Bool = true) async -> Int {
        await withTaskGroup(of: PeerID?.self) { group in
            for address in peers {
                group.addTask { [host] in
                    guard let peer = address.peerID, (try? await host.connect(to: address)) != nil else { return nil }
                    return (try? await self.request(.init(type: .findNode, key: host.peerID.bytes), to: peer)) != nil ? peer : nil
                }
            }
            for await peer in group {
                if let peer { admit(peer) }
            }
        }
        guard fillTable else { return table.count }
        _ = await lookup(host.peerID.bytes, type: .findNode)
        await refresh(force: true)
        return table.count
    }

    /// Looks up a random key in every bucket not refreshed within the interval (with `force`,
    /// in each of the first ten buckets that exist).
    public func refresh(force: Bool = false) async {
        var random = SystemRandomNumberGenerator()
        let due = force ? Array(0..<min(table.bucketCount, 10)) : table.bucketsDueForRefresh(now: now, interval: configuration.refreshInterval)
        for index in due {
            table.markRefreshed(index, now: now)
            guard let key = Self.randomKey(inBucket: index, around: localKey, using: &random) else { continue }
            _ = await lookup(key, type: .findNode)
        }
    }

    /// Request keys are hashed by the receiver, so a key landing in bucket `index` is found by
    /// trying random ones (2^(index+1) on average); nil past a bound, for far-off buckets.
    static func randomKey(inBucket index: Int, around local: DHTKey, using random: inout some RandomNumberGenerator) -> [UInt8]? {
        guard index < 20 else { return nil }
        for _ in 0..<(1 << 22) {
            let bytes = (0..<4).flatMap { _ in withUnsafeBytes(of: random.next()) { Array($0) } }
            if local.commonPrefixLength(with: DHTKey(hashing: bytes)) == index { return bytes }
        }
        return nil
    }

    /// Announces that we provide `key` now and every republish interval from now on; an
    /// announcement no peer took (an empty table, all peers gone) is retried after
    /// `retryInterval` instead of waiting a whole republish interval.
    public func provide(_ key: [UInt8]) async -> Int {
        schedule.add(key, due: now + configuration.republishInterval)
        return await announceOrRetry(key)
    }

    private func announceOrRetry(_ key: [UInt8]) async -> Int {
        let stored = await announce(key)
        if stored == 0 { schedule.add(key, due: now + configuration.retryInterval) }
        return stored
    }

    /// Keys this node announces.
    public var providedKeys: [[UInt8]] { schedule.keys }

    private func announce(_ key: [UInt8]) async -> Int {
        _ = providers.add(host.peerID, for: key, now: now)
        let closest = await lookup(key, type: .findNode).closest
        let listen = await host.listenAddresses
        let message = KadMessage(type: .addProvider, key: key, providerPeers: [.init(id: host.peerID.bytes, addresses: listen.map(\.bytes))])
        var stored = 0
        await withTaskGroup(of: Bool.self) { group in
            for peer in closest {
                group.addTask { await self.deliver(message, to: peer) }
            }
            for await ok in group where ok { stored += 1 }
        }
        return stored
    }

    /// Up to `count` providers of `key`: ours first, then a GET_PROVIDERS lookup.
    public func findProviders(_ key: [UInt8], count: Int = 20) async -> [PeerID] {
        var found = providers.providers(for: key, now: now)
        guard found.count < count else { return Array(found.prefix(count)) }
        for peer in await lookup(key, type: .getProviders, enoughProviders: count).providers where !found.contains(peer) {
            found.append(peer)
        }
        return Array(found.prefix(count))
    }

    /// Where `peer` can be reached, asking the network when we do not know.
    public func findPeer(_ peer: PeerID) async -> [Multiaddr] {
        if table.contains(peer, key: DHTKey(hashing: peer.bytes)) || !addresses.addresses(of: peer).isEmpty {
            return addresses.addresses(of: peer)
        }
        _ = await lookup(peer.bytes, type: .findNode)
        return addresses.addresses(of: peer)
    }

    public func addresses(of peer: PeerID) -> [Multiaddr] { addresses.addresses(of: peer) }

    /// A full FIND_NODE lookup for `key`, whatever the table already holds (benchmarks,
    /// diagnostics).
    public func findClosest(_ key: [UInt8]) async -> LookupOutcome {
        await lookup(key, type: .findNode)
    }

    /// Stores a signed feed head locally and on the k closest peers; returns how many took it.
    public func putFeedHead(_ head: SignedFeedHead) async throws -> Int {
        let key = DHTNames.feedHeadKey(author: head.author)
        if var store = records {
            _ = try store.put(key: key, value: head.encoded, from: host.peerID.bytes)
            records = store
        }
        let closest = await lookup(key, type: .findNode).closest
        let message = KadMessage(type: .putValue, key: key, record: .init(key: key, value: head.encoded))
        var stored = 0
        await withTaskGroup(of: Bool.self) { group in
            for peer in closest {
                group.addTask { (try? await self.request(message, to: peer)) != nil }
            }
            for await ok in group where ok { stored += 1 }
        }
        return stored
    }

    /// The newest valid head of `author`'s feed we or the network have.
    public func getFeedHead(author: PublicKey) async throws -> SignedFeedHead? {
        let key = DHTNames.feedHeadKey(author: author)
        var candidates = try records?.get(key: key).map { [$0] } ?? []
        candidates += await lookup(key, type: .getValue).records
        var best: SignedFeedHead?
        for value in candidates {
            guard let head = try? FeedHeadValidator.validate(key: key, value: value) else { continue }
            if (try? FeedHeadValidator.select(stored: best, offered: head)) != nil { best = head }
        }
        return best
    }

    /// One maintenance pass: drops expired provider records, republishes (or retries) due
    /// announcements and refreshes buckets not looked into within the refresh interval. The
    /// owner calls it periodically (`DHTNodeProtocol` once a minute).
    public func maintain() async {
        providers.expire(now: now)
        for key in schedule.takeDue(now: now) { _ = await announceOrRetry(key) }
        await refresh()
    }

    // MARK: Inspection

    public var routingTableSize: Int { table.count }
    public var routingTablePeers: [PeerID] { table.allEntries.map(\.peer) }
}

public enum KadRequestError: Error, Equatable, Sendable, CustomStringConvertible {
    case noAnswer
    case rejected(String)

    public var description: String {
        switch self {
        case .noAnswer: return "kad: the peer closed the stream without answering"
        case .rejected(let why): return "kad: request refused: \(why)"
        }
    }
}
