import AgoraCore
import AgoraGossip
import AgoraWire

/// A deterministic discrete-event simulation of gossipsub: every node runs the real
/// `GossipRouter` (mesh maintenance, IHAVE/IWANT, scoring, signature checks), RPCs travel with
/// the simulator's latency model, and heartbeats are events at each node's own phase. Nothing
/// touches a socket or a clock; the same configuration gives the same run.
///
/// Bandwidth and CPU are not modelled beyond a fixed validation delay per hop (the signature
/// check and log append a real node does before forwarding).
public struct GossipSimulation {
    public typealias Node = Int32

    public enum Behaviour: Sendable, Equatable {
        case honest
        /// Stays in meshes and sends control traffic but never forwards or serves a message:
        /// the cheapest attack on delivery.
        case silent
    }

    public struct Configuration: Sendable {
        public var nodeCount: Int
        public var seed: UInt64
        public var latency: LatencyModel
        /// Probability that any one RPC is lost.
        public var loss: Double
        /// Peers each node dials when it starts (its inbound connections come on top).
        public var dials: Int
        public var router: GossipConfiguration
        /// Time between receiving a message and the application's verdict on it.
        public var validationMicroseconds: Int64
        public var adversaryFraction: Double
        public var adversary: Behaviour

        public init(
            nodeCount: Int, seed: UInt64 = 1, latency: LatencyModel = .fixed(oneWayMilliseconds: 20), loss: Double = 0,
            dials: Int = 8, router: GossipConfiguration = GossipConfiguration(), validationMicroseconds: Int64 = 1000,
            adversaryFraction: Double = 0, adversary: Behaviour = .honest
        ) {
            self.nodeCount = nodeCount
            self.seed = seed
            self.latency = latency
            self.loss = loss
            self.dials = dials
            self.router = router
            self.validationMicroseconds = validationMicroseconds
            self.adversaryFraction = adversaryFraction
            self.adversary = adversary
        }
    }

    /// How one published message spread.
    public struct MessageRecord: Sendable {
        public let publisher: Node
        /// Honest nodes online when the message was published, the publisher excluded.
        public let audience: Int
        /// Microseconds from publish to each audience node's delivery, ascending; nodes
        /// that never got it are missing.
        public let delays: [Int64]
        /// Copies received after the first, summed over all nodes.
        public let duplicates: Int

        public var deliveryRate: Double { audience == 0 ? 1 : Double(delays.count) / Double(audience) }

        /// Milliseconds until `fraction` of the audience had the message; nil if it never did.
        public func milliseconds(toReach fraction: Double) -> Double? {
            let needed = Int((Double(audience) * fraction).rounded(.up))
            guard needed > 0 else { return 0 }
            guard needed <= delays.count else { return nil }
            return Double(delays[needed - 1]) / 1000
        }
    }

    struct Peer {
        var router: GossipRouter
        let identity: Identity
        let behaviour: Behaviour
        let region: UInt8
        let access: Int32
        var online = true
    }

    enum Event {
        case rpc(from: Node, to: Node, GossipRPC)
        case heartbeat(Node)
        case validated(Node, GossipMessageID)
        case connect(Node, Node)
        case disconnected(Node, from: Node)
    }

    public static let topic = "agora/events/1"

    public let configuration: Configuration
    var peers: [Peer] = []
    var index: [PeerID: Node] = [:]
    var queue = EventQueue<Event>()
    var random: SeededGenerator
    public private(set) var now: Int64 = 0
    public private(set) var rpcsDelivered = 0
    /// Message ID → (index in `published`, publish time).
    var tracked: [GossipMessageID: (record: Int, at: Int64)] = [:]
    var published: [(id: GossipMessageID, publisher: Node, audience: Set<Node>)] = []
    /// Per tracked message, per node: first delivery time.
    var deliveries: [[Node: Int64]] = []
    var duplicateBaseline: [Int] = []

    public init(_ configuration: Configuration) throws {
        self.configuration = configuration
        random = SeededGenerator(seed: configuration.seed)
        let adversaries = Int((Double(configuration.nodeCount) * configuration.adversaryFraction).rounded())
        for node in 0..<configuration.nodeCount {
            _ = try addPeer(behaviour: node >= configuration.nodeCount - adversaries ? configuration.adversary : .honest)
        }
    }

    public var nodeCount: Int { peers.count }
    public func isOnline(_ node: Node) -> Bool { peers[Int(node)].online }
    public func router(_ node: Node) -> GossipRouter { peers[Int(node)].router }
    public var onlineHonestNodes: [Node] {
        (0..<Node(peers.count)).filter { peers[Int($0)].online && peers[Int($0)].behaviour == .honest }
    }

    func duration(_ microseconds: Int64) -> Duration { .microseconds(microseconds) }

    mutating func addPeer(behaviour: Behaviour) throws -> Node {
        let seed = (0..<32).map { _ in UInt8.random(in: 0...255, using: &random) }
        let identity = try Identity(seed: seed)
        let peerID = PeerID(identity: identity)
        let node = Node(peers.count)
        let place = LatencyModel.place(using: &random)
        var router = GossipRouter(localPeer: peerID, configuration: configuration.router, seed: random.next())
        _ = router.subscribe(Self.topic, now: duration(now))
        peers.append(Peer(router: router, identity: identity, behaviour: behaviour, region: place.region, access: place.accessMicroseconds))
        index[peerID] = node
        let phase = Int64.random(in: 0..<heartbeatMicroseconds, using: &random)
        queue.schedule(.heartbeat(node), at: now + phase)
        return node
    }

    var heartbeatMicroseconds: Int64 {
        let parts = configuration.router.heartbeatInterval.components
        return parts.seconds * 1_000_000 + parts.attoseconds / 1_000_000_000_000
    }

    // MARK: Scenarios

    /// Every node dials `dials` random other nodes (a connection takes one round trip),
    /// then the network runs for `warmUpSeconds` so meshes form through heartbeats.
    public mutating func start(warmUpSeconds: Int = 10) {
        let count = peers.count
        for node in 0..<count {
            dialRandomPeers(from: Node(node), among: count)
        }
        run(until: now + Int64(warmUpSeconds) * 1_000_000)
    }

    mutating func dialRandomPeers(from node: Node, among count: Int) {
        guard count > 1 else { return }
        var chosen: Set<Node> = []
        var attempts = 0
        while chosen.count < min(configuration.dials, count - 1), attempts < 10 * configuration.dials {
            attempts += 1
            let other = Node(Int.random(in: 0..<count, using: &random))
            guard other != node, peers[Int(other)].online, chosen.insert(other).inserted else { continue }
            queue.schedule(.connect(node, other), at: now + 2 * oneWay(node, other))
        }
    }

    /// Publishes `count` messages from random online honest nodes, `spacingMilliseconds`
    /// apart, runs `settleSeconds` past the last, and returns how each spread.
    public mutating func measure(messages count: Int, spacingMilliseconds: Int = 200, settleSeconds: Int = 10) throws -> [MessageRecord] {
        let first = published.count
        for _ in 0..<count {
            let origins = onlineHonestNodes
            let origin = origins[Int.random(in: 0..<origins.count, using: &random)]
            try publish(from: origin)
            run(until: now + Int64(spacingMilliseconds) * 1000)
        }
        run(until: now + Int64(settleSeconds) * 1_000_000)
        return (first..<published.count).map(record)
    }

    /// `fraction` of the online honest nodes leave (their peers notice after one link delay)
    /// and as many fresh nodes join and dial, spread evenly over `seconds` while the network runs.
    public mutating func churn(fraction: Double, overSeconds seconds: Int) throws {
        var candidates = onlineHonestNodes
        candidates.shuffle(using: &random)
        let leaving = Array(candidates.prefix(Int((Double(candidates.count) * fraction).rounded())))
        guard !leaving.isEmpty else { return }
        let step = Int64(seconds) * 1_000_000 / Int64(leaving.count)
        let end = now + Int64(seconds) * 1_000_000
        for node in leaving {
            run(until: now + step)
            leave(node)
            let fresh = try addPeer(behaviour: .honest)
            dialRandomPeers(from: fresh, among: peers.count)
        }
        run(until: end)
    }

    mutating func leave(_ node: Node) {
        peers[Int(node)].online = false
        for other in peers[Int(node)].router.connectedPeers {
            guard let neighbour = index[other] else { continue }
            queue.schedule(.disconnected(neighbour, from: node), at: now + oneWay(node, neighbour))
        }
    }

    mutating func publish(from node: Node) throws {
        var data = [UInt8](repeating: 0, count: 64)
        for position in data.indices { data[position] = UInt8.random(in: 0...255, using: &random) }
        let message = try GossipSigning.sign(
            GossipMessage(from: [], data: data, seqno: Array(data.prefix(8)), topic: Self.topic), with: peers[Int(node)].identity)
        let (id, actions) = try peers[Int(node)].router.publish(message, now: duration(now))
        let audience = Set(onlineHonestNodes.filter { $0 != node })
        tracked[id] = (published.count, now)
        published.append((id, node, audience))
        deliveries.append([:])
        duplicateBaseline.append(totalDuplicates)
        execute(actions, at: node)
    }

    var totalDuplicates: Int { peers.reduce(0) { $0 + $1.router.counters.duplicates } }

    func record(_ position: Int) -> MessageRecord {
        let entry = published[position]
        let start = tracked[entry.id]?.at ?? 0
        let delays = deliveries[position].compactMap { node, time in entry.audience.contains(node) ? time - start : nil }.sorted()
        let duplicatesAfter = position + 1 < duplicateBaseline.count ? duplicateBaseline[position + 1] : totalDuplicates
        return MessageRecord(
            publisher: entry.publisher, audience: entry.audience.count, delays: delays,
            duplicates: duplicatesAfter - duplicateBaseline[position])
    }

    // MARK: Engine

    mutating func oneWay(_ a: Node, _ b: Node) -> Int64 {
        let from = peers[Int(a)], to = peers[Int(b)]
        return configuration.latency.oneWay(from: (from.region, from.access), to: (to.region, to.access), using: &random)
    }

    /// Processes events in time order until `deadline`; the clock ends at `deadline`.
    public mutating func run(until deadline: Int64) {
        while let time = queue.nextTime, time <= deadline, let next = queue.pop() {
            now = time
            handle(next.payload)
        }
        now = max(now, deadline)
    }

    mutating func handle(_ event: Event) {
        switch event {
        case .rpc(let from, let to, let rpc):
            guard peers[Int(to)].online, peers[Int(from)].online else { return }
            rpcsDelivered += 1
            execute(peers[Int(to)].router.receive(rpc, from: peerID(from), now: duration(now)), at: to)
        case .heartbeat(let node):
            guard peers[Int(node)].online else { return }
            execute(peers[Int(node)].router.heartbeat(now: duration(now)), at: node)
            queue.schedule(.heartbeat(node), at: now + heartbeatMicroseconds)
        case .validated(let node, let id):
            guard peers[Int(node)].online else { return }
            execute(peers[Int(node)].router.validated(id, .accept, now: duration(now)), at: node)
        case .connect(let a, let b):
            guard peers[Int(a)].online, peers[Int(b)].online else { return }
            let protocolID = GossipProtocol.v11
            execute(peers[Int(a)].router.addPeer(peerID(b), protocolID: protocolID, outbound: true, now: duration(now)) ?? [], at: a)
            execute(peers[Int(b)].router.addPeer(peerID(a), protocolID: protocolID, outbound: false, now: duration(now)) ?? [], at: b)
        case .disconnected(let node, let from):
            guard peers[Int(node)].online else { return }
            execute(peers[Int(node)].router.removePeer(peerID(from), now: duration(now)), at: node)
        }
    }

    func peerID(_ node: Node) -> PeerID { peers[Int(node)].router.localPeer }

    /// Sends go out in peer order: the router drains its outbox from a dictionary, whose order
    /// differs between instances, and same-time events run in scheduling order.
    mutating func execute(_ actions: [GossipAction], at node: Node) {
        let ordered = actions.enumerated().sorted { first, second in
            let a = sendTarget(first.element), b = sendTarget(second.element)
            return a != b ? a < b : first.offset < second.offset
        }
        for (_, action) in ordered {
            switch action {
            case .send(let to, var rpc):
                guard let target = index[to] else { continue }
                if peers[Int(node)].behaviour == .silent {
                    rpc.messages = []
                    if rpc.isEmpty { continue }
                }
                if configuration.loss > 0, Double.random(in: 0..<1, using: &random) < configuration.loss { continue }
                queue.schedule(.rpc(from: node, to: target, rpc), at: now + oneWay(node, target))
            case .validate(let id, _, _):
                queue.schedule(.validated(node, id), at: now + configuration.validationMicroseconds)
            case .deliver(let id, _, _):
                guard let entry = tracked[id], deliveries[entry.record][node] == nil else { continue }
                deliveries[entry.record][node] = now
            }
        }
    }

    func sendTarget(_ action: GossipAction) -> Node {
        guard case .send(let to, _) = action else { return -1 }
        return index[to] ?? -1
    }
}
