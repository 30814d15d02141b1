/// Message IDs seen recently, so a message is validated and forwarded once. Entries expire
/// after `ttl`; past `capacity` the oldest go first, so a flood of distinct messages costs
/// bounded memory (a message older than the flood may then be processed twice, which
/// validation makes harmless).
struct SeenCache {
    let ttl: Duration
    let capacity: Int
    private var members: Set<GossipMessageID> = []
    /// Insertion order; `now` only grows, so expiries do too and the head expires first.
    private var order: [(id: GossipMessageID, expiry: Duration)] = []
    private var head = 0

    init(ttl: Duration, capacity: Int) {
        self.ttl = ttl
        self.capacity = max(1, capacity)
    }

    var count: Int { members.count }

    func contains(_ id: GossipMessageID) -> Bool { members.contains(id) }

    /// Adds `id`; false when it was already present.
    @discardableResult
    mutating func insert(_ id: GossipMessageID, now: Duration) -> Bool {
        expire(now: now)
        guard members.insert(id).inserted else { return false }
        order.append((id, now + ttl))
        while members.count > capacity { dropHead() }
        return true
    }

    mutating func expire(now: Duration) {
        while head < order.count, order[head].expiry <= now { dropHead() }
    }

    private mutating func dropHead() {
        members.remove(order[head].id)
        head += 1
        if head > 1024, head * 2 > order.count {
            order.removeFirst(head)
            head = 0
        }
    }
}
