import AgoraCore
import AgoraGossip
import AgoraWire

/// Drives many `GossipRouter`s in memory: sends are queued and delivered in order, time
/// advances only when told, and a filter can drop RPCs in transit. Validation answers at
/// once with `validator`.
struct RouterSimulator {
    var routers: [GossipRouter] = []
    var identities: [Identity] = []
    var index: [PeerID: Int] = [:]
    var now: Duration = .zero
    var inFlight: [(from: Int, to: Int, rpc: GossipRPC)] = []
    var delivered: [[GossipMessageID: Int]] = []
    var validator: (Int, GossipMessage) -> GossipValidation = { _, _ in .accept }
    /// Return false to lose the RPC in transit.
    var link: (Int, Int, GossipRPC) -> Bool = { _, _, _ in true }
    var sentRPCs = 0

    init(count: Int, seed: UInt64, configuration: GossipConfiguration = GossipConfiguration()) throws {
        var generator = SplitMix64(seed: seed)
        for node in 0..<count {
            let identity = try Identity(seed: (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) })
            let peer = PeerID(identity: identity)
            identities.append(identity)
            index[peer] = node
            routers.append(GossipRouter(localPeer: peer, configuration: configuration, seed: seed &+ UInt64(node)))
            delivered.append([:])
        }
    }

    func peer(_ node: Int) -> PeerID { routers[node].localPeer }

    mutating func connect(_ a: Int, _ b: Int) {
        let first = routers[a].addPeer(peer(b), protocolID: GossipProtocol.v11, outbound: true, now: now) ?? []
        execute(first, at: a)
        let second = routers[b].addPeer(peer(a), protocolID: GossipProtocol.v11, outbound: false, now: now) ?? []
        execute(second, at: b)
    }

    mutating func disconnect(_ a: Int, _ b: Int) {
        execute(routers[a].removePeer(peer(b), now: now), at: a)
        execute(routers[b].removePeer(peer(a), now: now), at: b)
    }

    /// Each node connected to `degree` random others (at least), as a connected graph.
    mutating func connectRandomly(degree: Int, seed: UInt64) {
        var generator = SplitMix64(seed: seed)
        let count = routers.count
        for node in 1..<count { connect(node, Int.random(in: 0..<node, using: &generator)) }
        for node in 0..<count {
            while routers[node].connectedPeers.count < degree {
                let other = Int.random(in: 0..<count, using: &generator)
                if other != node, !routers[node].connectedPeers.contains(peer(other)) { connect(node, other) }
            }
        }
    }

    mutating func subscribeAll(_ topic: String) {
        for node in routers.indices { execute(routers[node].subscribe(topic, now: now), at: node) }
    }

    func message(from node: Int, topic: String, data: [UInt8]) throws -> GossipMessage {
        try GossipSigning.sign(GossipMessage(from: [], data: data, seqno: Array(data.prefix(8)), topic: topic), with: identities[node])
    }

    @discardableResult
    mutating func publish(from node: Int, topic: String, data: [UInt8]) throws -> GossipMessageID {
        let (id, actions) = try routers[node].publish(message(from: node, topic: topic, data: data), now: now)
        delivered[node][id, default: 0] += 1
        execute(actions, at: node)
        return id
    }

    mutating func execute(_ actions: [GossipAction], at node: Int) {
        for action in actions {
            switch action {
            case .send(let to, let rpc):
                guard let target = index[to] else { continue }
                inFlight.append((node, target, rpc))
            case .validate(let id, let message, _):
                let verdict = validator(node, message)
                execute(routers[node].validated(id, verdict, now: now), at: node)
            case .deliver(let id, _, _):
                delivered[node][id, default: 0] += 1
            }
        }
    }

    /// Delivers queued RPCs (and what they cause) until none are left, or `limit` RPCs.
    mutating func settle(limit: Int = 1_000_000) {
        var handled = 0
        while !inFlight.isEmpty, handled < limit {
            let batch = inFlight
            inFlight.removeAll()
            for (from, to, rpc) in batch {
                handled += 1
                sentRPCs += 1
                guard link(from, to, rpc) else { continue }
                execute(routers[to].receive(rpc, from: peer(from), now: now), at: to)
            }
        }
    }

    mutating func heartbeat() {
        now += .seconds(1)
        for node in routers.indices { execute(routers[node].heartbeat(now: now), at: node) }
        settle()
    }

    mutating func advance(_ duration: Duration) {
        now += duration
    }

    func count(of id: GossipMessageID) -> Int { delivered.filter { $0[id] != nil }.count }
}
