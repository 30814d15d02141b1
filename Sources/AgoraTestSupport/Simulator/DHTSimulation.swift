import AgoraDHT

/// A deterministic discrete-event simulation of a Kademlia network: every node runs the real
/// `RoutingTable`, `Lookup` and `ProviderStore` machines, messages travel with a configurable
/// delay and loss, and nothing touches a socket or a clock. The same configuration (and seed)
/// gives the same result, message for message.
///
/// Peers are `Int32` indices; a node's key is random (as SHA-256 of a fresh peer ID is).
/// Every node is a DHT server. Nodes can leave (their state is gone; others notice only by
/// timeouts) and fresh nodes can join (a self-lookup through a random online node, then a
/// refresh of their nearest buckets).
public struct DHTSimulation {
    public typealias Peer = Int32

    public enum Behaviour: Sendable, Equatable {
        case honest
        /// Never answers.
        case drop
        /// Answers every lookup with other adversaries as the "closest" peers, never providers.
        case lie
        /// A sybil placed next to `key`: for lookups of keys sharing `prefixBits` with it,
        /// answers with fellow sybils only and drops provider records; honest otherwise.
        case eclipse(key: DHTKey, prefixBits: Int)
    }

    public struct Configuration: Sendable {
        public var nodeCount: Int
        public var seed: UInt64
        public var latency: LatencyModel
        /// Probability that any one message is lost.
        public var loss: Double
        public var lookup: LookupConfiguration
        public var bucketSize: Int
        /// Buckets 0 ..< n each joining node refreshes with a random-key lookup after its
        /// self-lookup (the far buckets, which the self-lookup does not fill).
        public var refreshBucketsOnJoin: Int
        /// Virtual time between two nodes starting to join.
        public var joinSpacingMilliseconds: Int
        public var adversaryFraction: Double
        public var adversary: Behaviour

        public init(
            nodeCount: Int, seed: UInt64 = 1, latency: LatencyModel = .fixed(oneWayMilliseconds: 20), loss: Double = 0,
            lookup: LookupConfiguration = .init(requestTimeout: .seconds(1)), bucketSize: Int = 20,
            refreshBucketsOnJoin: Int = 8, joinSpacingMilliseconds: Int = 5,
            adversaryFraction: Double = 0, adversary: Behaviour = .honest
        ) {
            self.nodeCount = nodeCount
            self.seed = seed
            self.latency = latency
            self.loss = loss
            self.lookup = lookup
            self.bucketSize = bucketSize
            self.refreshBucketsOnJoin = refreshBucketsOnJoin
            self.joinSpacingMilliseconds = joinSpacingMilliseconds
            self.adversaryFraction = adversaryFraction
            self.adversary = adversary
        }
    }

    /// What one finished lookup measured.
    public struct LookupRecord: Sendable {
        public let origin: Peer
        public let target: DHTKey
        public let latencyMicroseconds: Int64
        public let hops: Int
        public let requests: Int
        /// Closest first.
        public let results: [Peer]
        public let providers: [Peer]

        public var latencyMilliseconds: Double { Double(latencyMicroseconds) / 1000 }
    }

    struct Node {
        let key: DHTKey
        var table: RoutingTable<Peer>
        var providers = ProviderStore<DHTKey, Peer>()
        var online = true
        let behaviour: Behaviour
        let region: UInt8
        let access: Int32
    }

    enum Purpose {
        case join(remainingRefreshes: [Int])
        case measure
        case provide
        case findProviders
    }

    struct Operation {
        let origin: Peer
        var lookup: Lookup<Peer>
        let purpose: Purpose
        let started: Int64
        var providers: [Peer] = []
        var seeded = false
        var done = false
    }

    enum RequestKind {
        case findNode
        case getProviders
        case addProvider
        case probe
    }

    enum Event {
        case request(from: Peer, to: Peer, operation: Int32, kind: RequestKind, target: DHTKey)
        case response(from: Peer, to: Peer, operation: Int32, closer: [Peer], providers: [Peer])
        case wake(operation: Int32)
        case probeResponse(from: Peer, to: Peer)
        case probeTimeout(prober: Peer, probed: Peer)
        case startJoin(Peer, via: Peer)
    }

    public let configuration: Configuration
    var nodes: [Node] = []
    var operations: [Operation] = []
    var queue = EventQueue<Event>()
    var random: SeededGenerator
    /// Liveness checks under way: (prober, probed) pairs answered before their timeout.
    var probesAnswered: Set<Int64> = []
    public private(set) var now: Int64 = 0
    public private(set) var messagesDelivered = 0
    public private(set) var messagesSent = 0
    public private(set) var completed: [LookupRecord] = []
    public private(set) var joinLatencies: [Int64] = []
    /// Sybils are keyed next to the eclipsed key; everyone else at random.
    public private(set) var adversaries: Set<Peer> = []

    public init(_ configuration: Configuration) {
        self.configuration = configuration
        random = SeededGenerator(seed: configuration.seed)
        let adversaryCount = Int((Double(configuration.nodeCount) * configuration.adversaryFraction).rounded())
        for index in 0..<configuration.nodeCount {
            // Node 0 is the honest bootstrap node; adversaries are the last ones created.
            let behaviour: Behaviour = index >= configuration.nodeCount - adversaryCount && index > 0 ? configuration.adversary : .honest
            addNode(behaviour: behaviour)
        }
    }

    @discardableResult
    mutating func addNode(behaviour: Behaviour) -> Peer {
        let key: DHTKey
        if case .eclipse(let target, let prefixBits) = behaviour {
            key = target.randomKey(withCommonPrefix: prefixBits + Int.random(in: 0..<8, using: &random), using: &random)
        } else {
            key = DHTKey.random(using: &random)
        }
        let place = LatencyModel.place(using: &random)
        let peer = Peer(nodes.count)
        nodes.append(Node(
            key: key, table: RoutingTable(localKey: key, bucketSize: configuration.bucketSize),
            behaviour: behaviour, region: place.region, access: place.accessMicroseconds
        ))
        if behaviour != .honest { adversaries.insert(peer) }
        return peer
    }

    public var nodeCount: Int { nodes.count }
    public func key(of peer: Peer) -> DHTKey { nodes[Int(peer)].key }
    public func isOnline(_ peer: Peer) -> Bool { nodes[Int(peer)].online }
    public func routingTable(of peer: Peer) -> RoutingTable<Peer> { nodes[Int(peer)].table }
    public var onlinePeers: [Peer] { (0..<Peer(nodes.count)).filter { nodes[Int($0)].online } }
    public var onlineHonestPeers: [Peer] { onlinePeers.filter { nodes[Int($0)].behaviour == .honest } }

    // MARK: Scenarios

    /// Every node joins in turn through node 0 (or, after the first, a random node that has
    /// already joined), then refreshes its nearest buckets; runs until the network is quiet.
    public mutating func bootstrap() {
        for index in 1..<nodes.count {
            let via = Peer(Int.random(in: 0..<index, using: &random))
            queue.schedule(.startJoin(Peer(index), via: via), at: now + Int64(index * configuration.joinSpacingMilliseconds) * 1000)
        }
        run()
    }

    /// Fills every table as a settled network would have it, without messages: each node
    /// offers its table every other node in a seeded random order, skipping buckets already
    /// full, so it holds k random peers of each far bucket and all of its nearest ones. O(N²)
    /// key comparisons; for tests and for sizes where joining by protocol takes too long.
    public mutating func fillTables() {
        let peers = onlinePeers
        for node in peers {
            var order = peers
            order.shuffle(using: &random)
            var counts = [Int](repeating: 0, count: DHTKey.bitCount + 1)
            let key = nodes[Int(node)].key
            for other in order where other != node {
                let bucket = key.commonPrefixLength(with: nodes[Int(other)].key)
                guard counts[bucket] < configuration.bucketSize else { continue }
                counts[bucket] += 1
                _ = nodes[Int(node)].table.peerResponded(other, key: nodes[Int(other)].key, now: virtualNow)
            }
        }
    }

    /// `fraction` of the online honest nodes (except `keep`) leave silently and as many fresh
    /// nodes join; runs until the joins are done.
    public mutating func churn(fraction: Double, keep: Set<Peer> = []) {
        var candidates = onlineHonestPeers.filter { !keep.contains($0) && $0 != 0 }
        candidates.shuffle(using: &random)
        let leaving = candidates.prefix(Int((Double(candidates.count) * fraction).rounded()))
        for peer in leaving { nodes[Int(peer)].online = false }
        let online = onlineHonestPeers
        for step in 0..<leaving.count {
            let fresh = addNode(behaviour: .honest)
            let via = online[Int.random(in: 0..<online.count, using: &random)]
            queue.schedule(.startJoin(fresh, via: via), at: now + Int64(step * configuration.joinSpacingMilliseconds) * 1000)
        }
        run()
    }

    /// `count` FIND_NODE lookups for random keys from random online honest nodes, started
    /// `spacingMilliseconds` apart; returns their records in start order.
    public mutating func measureLookups(count: Int, spacingMilliseconds: Int = 10) -> [LookupRecord] {
        let origins = onlineHonestPeers
        var started: [Int32] = []
        for index in 0..<count {
            let origin = origins[Int.random(in: 0..<origins.count, using: &random)]
            let target = DHTKey.random(using: &random)
            started.append(startLookup(from: origin, target: target, purpose: .measure, at: now + Int64(index * spacingMilliseconds) * 1000))
        }
        run()
        return records(of: started)
    }

    /// Each key is announced by a random online honest node (lookup, then ADD_PROVIDER to the
    /// k closest it found); returns the providers in key order.
    public mutating func announce(_ keys: [DHTKey]) -> [Peer] {
        let origins = onlineHonestPeers
        var providers: [Peer] = []
        for (index, key) in keys.enumerated() {
            let origin = origins[Int.random(in: 0..<origins.count, using: &random)]
            providers.append(origin)
            _ = startLookup(from: origin, target: key, purpose: .provide, at: now + Int64(index) * 1000)
        }
        run()
        return providers
    }

    /// GET_PROVIDERS for each key from a random online honest node, stopping at the first
    /// provider found.
    public mutating func findProviders(_ keys: [DHTKey], spacingMilliseconds: Int = 10) -> [LookupRecord] {
        let origins = onlineHonestPeers
        var started: [Int32] = []
        for (index, key) in keys.enumerated() {
            let origin = origins[Int.random(in: 0..<origins.count, using: &random)]
            started.append(startLookup(from: origin, target: key, purpose: .findProviders, at: now + Int64(index * spacingMilliseconds) * 1000))
        }
        run()
        return records(of: started)
    }

    /// The `count` online honest nodes truly closest to `target` (what a lookup should find).
    public func trueClosest(to target: DHTKey, count: Int) -> [Peer] {
        Array(onlineHonestPeers.sorted { nodes[Int($0)].key.distance(to: target) < nodes[Int($1)].key.distance(to: target) }.prefix(count))
    }

    private func records(of operations: [Int32]) -> [LookupRecord] {
        operations.compactMap { completedIndex[$0].map { completed[$0] } }
    }

    /// Operation → its index in `completed`.
    var completedIndex: [Int32: Int] = [:]

    // MARK: Engine

    mutating func startLookup(from origin: Peer, target: DHTKey, purpose: Purpose, at time: Int64) -> Int32 {
        let id = Int32(operations.count)
        operations.append(Operation(origin: origin, lookup: Lookup(target: target, seeds: [], configuration: configuration.lookup), purpose: purpose, started: time))
        queue.schedule(.wake(operation: id), at: time)
        return id
    }

    /// Processes events until none is left.
    public mutating func run() {
        while let (time, event) = queue.pop() {
            now = time
            handle(event)
        }
    }

    private mutating func send(_ event: Event, from: Peer, to: Peer) {
        messagesSent += 1
        if configuration.loss > 0 && Double.random(in: 0..<1, using: &random) < configuration.loss { return }
        let a = nodes[Int(from)]
        let b = nodes[Int(to)]
        let delay = configuration.latency.oneWay(from: (a.region, a.access), to: (b.region, b.access), using: &random)
        queue.schedule(event, at: now + delay)
    }

    private var virtualNow: Duration { .microseconds(now) }

    private var timeoutMicroseconds: Int64 {
        let timeout = configuration.lookup.requestTimeout.components
        return timeout.seconds * 1_000_000 + timeout.attoseconds / 1_000_000_000_000
    }

    private mutating func handle(_ event: Event) {
        switch event {
        case .startJoin(let peer, let via):
            _ = nodes[Int(peer)].table.peerResponded(via, key: nodes[Int(via)].key, now: virtualNow)
            let refreshes = Array((0..<configuration.refreshBucketsOnJoin).reversed())  // popped from the end: 0 first
            _ = startLookup(from: peer, target: nodes[Int(peer)].key, purpose: .join(remainingRefreshes: refreshes), at: now)
        case .wake(let operation):
            wake(operation)
        case .request(let from, let to, let operation, let kind, let target):
            messagesDelivered += 1
            serve(kind, target: target, operation: operation, from: from, at: to)
        case .response(let from, let to, let operation, let closer, let providers):
            messagesDelivered += 1
            receive(closer: closer, providers: providers, operation: operation, from: from, at: to)
        case .probeResponse(let from, let to):
            messagesDelivered += 1
            guard nodes[Int(to)].online else { return }
            probesAnswered.insert(Self.pair(to, from))
            nodes[Int(to)].table.probeFinished(from, key: nodes[Int(from)].key, alive: true, now: virtualNow)
        case .probeTimeout(let prober, let probed):
            guard probesAnswered.remove(Self.pair(prober, probed)) == nil, nodes[Int(prober)].online else { return }
            nodes[Int(prober)].table.probeFinished(probed, key: nodes[Int(probed)].key, alive: false, now: virtualNow)
        }
    }

    static func pair(_ a: Peer, _ b: Peer) -> Int64 { Int64(a) << 32 | Int64(b) }

    private mutating func wake(_ id: Int32) {
        let operation = operations[Int(id)]
        guard !operation.done else { return }
        let origin = operation.origin
        guard nodes[Int(origin)].online else {
            operations[Int(id)].done = true
            return
        }
        if !operation.seeded {
            // First wake: seed from the origin's table as it is then.
            operations[Int(id)].seeded = true
            let seeds = nodes[Int(origin)].table.closest(to: operation.lookup.target, count: configuration.lookup.resultCount)
            operations[Int(id)].lookup = Lookup(target: operation.lookup.target, seeds: seeds.map { ($0.peer, $0.key) }, configuration: configuration.lookup)
        }
        for peer in operations[Int(id)].lookup.expire(now: virtualNow) {
            nodes[Int(origin)].table.remove(peer, key: nodes[Int(peer)].key)
        }
        drive(id)
    }

    private mutating func drive(_ id: Int32) {
        while true {
            switch operations[Int(id)].lookup.next(now: virtualNow) {
            case .query(let peer):
                let kind: RequestKind = if case .findProviders = operations[Int(id)].purpose { .getProviders } else { .findNode }
                send(.request(from: operations[Int(id)].origin, to: peer, operation: id, kind: kind, target: operations[Int(id)].lookup.target), from: operations[Int(id)].origin, to: peer)
                queue.schedule(.wake(operation: id), at: now + timeoutMicroseconds)
            case .waiting:
                return
            case .finished:
                finish(id)
                return
            }
        }
    }

    private mutating func finish(_ id: Int32) {
        guard !operations[Int(id)].done else { return }
        operations[Int(id)].done = true
        let operation = operations[Int(id)]
        let results = operation.lookup.results
        completedIndex[id] = completed.count
        completed.append(LookupRecord(
            origin: operation.origin, target: operation.lookup.target, latencyMicroseconds: now - operation.started,
            hops: operation.lookup.hops, requests: operation.lookup.requestsSent, results: results.map(\.peer), providers: operation.providers
        ))
        switch operation.purpose {
        case .join(var remaining):
            if case .join = operation.purpose, remaining.count == configuration.refreshBucketsOnJoin {
                joinLatencies.append(now - operation.started)
            }
            guard let bucket = remaining.popLast() else { return }
            let origin = operation.origin
            let target = nodes[Int(origin)].key.randomKey(withCommonPrefix: bucket, using: &random)
            _ = startLookup(from: origin, target: target, purpose: .join(remainingRefreshes: remaining), at: now)
        case .provide:
            for peer in results.map(\.peer) {
                send(.request(from: operation.origin, to: peer, operation: id, kind: .addProvider, target: operation.lookup.target), from: operation.origin, to: peer)
            }
        case .measure, .findProviders:
            break
        }
    }

    /// A server answers a request (or, as an adversary, does not).
    private mutating func serve(_ kind: RequestKind, target: DHTKey, operation: Int32, from: Peer, at server: Peer) {
        guard nodes[Int(server)].online else { return }
        if kind == .probe {
            send(.probeResponse(from: server, to: from), from: server, to: from)
            return
        }
        let behaviour = nodes[Int(server)].behaviour
        if behaviour == .drop { return }
        learn(from, at: server)
        var closer: [Peer]
        var providers: [Peer] = []
        switch behaviour {
        case .lie:
            closer = randomAdversaries(excluding: [server, from])
        case .eclipse(let key, let prefixBits) where target.commonPrefixLength(with: key) >= prefixBits:
            closer = randomAdversaries(excluding: [server, from])
            if kind == .addProvider { return }
        default:
            if kind == .addProvider {
                _ = nodes[Int(server)].providers.add(from, for: target, now: virtualNow)
                return
            }
            closer = nodes[Int(server)].table.closest(to: target, count: configuration.bucketSize + 1).map(\.peer).filter { $0 != from }
            if closer.count > configuration.bucketSize { closer.removeLast() }
            if kind == .getProviders {
                providers = nodes[Int(server)].providers.providers(for: target, now: virtualNow)
            }
        }
        if kind == .addProvider { return }
        send(.response(from: server, to: from, operation: operation, closer: closer, providers: providers), from: server, to: from)
    }

    private mutating func randomAdversaries(excluding: [Peer]) -> [Peer] {
        let pool = adversaries.sorted()
        guard !pool.isEmpty else { return [] }
        var out: [Peer] = []
        for _ in 0..<min(configuration.bucketSize, pool.count) {
            let pick = pool[Int.random(in: 0..<pool.count, using: &random)]
            if !excluding.contains(pick) && !out.contains(pick) { out.append(pick) }
        }
        return out
    }

    /// `peer` proved it speaks kad (it asked or answered us): offer it to `node`'s table,
    /// checking the oldest entry of a full bucket before anything is evicted.
    private mutating func learn(_ peer: Peer, at node: Peer) {
        switch nodes[Int(node)].table.peerResponded(peer, key: nodes[Int(peer)].key, now: virtualNow) {
        case .cached(let probe):
            send(.request(from: node, to: probe, operation: -1, kind: .probe, target: .zero), from: node, to: probe)
            queue.schedule(.probeTimeout(prober: node, probed: probe), at: now + timeoutMicroseconds)
        case .ignoredSelf, .refreshed, .added, .cachedWhileProbing:
            break
        }
    }

    private mutating func receive(closer: [Peer], providers: [Peer], operation id: Int32, from: Peer, at origin: Peer) {
        guard nodes[Int(origin)].online, !operations[Int(id)].done else { return }
        learn(from, at: origin)
        let known = closer.filter { $0 != origin && Int($0) < nodes.count }.map { ($0, nodes[Int($0)].key) }
        operations[Int(id)].lookup.succeeded(from, closer: known, now: virtualNow)
        if !providers.isEmpty {
            for provider in providers where !operations[Int(id)].providers.contains(provider) {
                operations[Int(id)].providers.append(provider)
            }
            operations[Int(id)].lookup.finish()
            finish(id)
            return
        }
        drive(id)
    }
}
