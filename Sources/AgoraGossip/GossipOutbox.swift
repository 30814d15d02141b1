import AgoraWire

/// RPCs the router owes each peer during one input, merged per peer and split so no
/// encoded RPC exceeds the frame limit: control and subscriptions ride in the first, and
/// messages start a new RPC when the current one would grow past the budget.
struct GossipOutbox {
    private var rpcs: [PeerID: [GossipRPC]] = [:]
    private var sizes: [PeerID: Int] = [:]
    private var order: [PeerID] = []
    let budget: Int

    init(frameLimit: Int) {
        // Room for the control part and the protobuf framing of each message.
        budget = max(1024, frameLimit - 256 << 10)
    }

    private mutating func first(_ peer: PeerID, _ change: (inout GossipRPC) -> Void) {
        if rpcs[peer] == nil { order.append(peer) }
        var queued = rpcs[peer] ?? []
        if queued.isEmpty { queued.append(GossipRPC()) }
        change(&queued[0])
        rpcs[peer] = queued
    }

    mutating func subscription(_ peer: PeerID, _ subscription: GossipSubscription) {
        first(peer) { $0.subscriptions.append(subscription) }
    }

    mutating func graft(_ peer: PeerID, topic: String) {
        first(peer) { $0.control.graft.append(topic) }
    }

    mutating func prune(_ peer: PeerID, topic: String, backoff: Duration) {
        first(peer) { $0.control.prune.append(GossipPrune(topic: topic, backoff: UInt64(backoff.components.seconds))) }
    }

    mutating func ihave(_ peer: PeerID, topic: String, ids: [GossipMessageID]) {
        first(peer) { $0.control.ihave.append(GossipIHave(topic: topic, messageIDs: ids)) }
    }

    mutating func iwant(_ peer: PeerID, ids: [GossipMessageID]) {
        first(peer) { $0.control.iwant += ids }
    }

    mutating func message(_ peer: PeerID, _ message: GossipMessage) {
        let size = message.data.count + message.from.count + message.seqno.count + message.topic.utf8.count
            + message.signature.count + message.key.count + 32
        first(peer) { _ in }
        var queued = rpcs[peer] ?? [GossipRPC()]
        if sizes[peer, default: 0] + size > budget, let last = queued.last, !last.messages.isEmpty {
            queued.append(GossipRPC())
            sizes[peer] = 0
        }
        queued[queued.count - 1].messages.append(message)
        rpcs[peer] = queued
        sizes[peer, default: 0] += size
    }

    /// Everything owed, in the order peers were first addressed, and empties the outbox.
    mutating func drain() -> [(PeerID, GossipRPC)] {
        defer {
            rpcs.removeAll(keepingCapacity: true)
            sizes.removeAll(keepingCapacity: true)
            order.removeAll(keepingCapacity: true)
        }
        return order.flatMap { peer in rpcs[peer]!.filter { !$0.isEmpty }.map { (peer, $0) } }
    }
}
