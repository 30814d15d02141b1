import AgoraWire

/// The message cache of gossipsub: recent messages in `historyLength` heartbeat windows,
/// to answer IWANT (any window) and to advertise in IHAVE (the newest `gossipWindows`).
/// Each window holds at most `windowCapacity` messages; past that, messages are forwarded
/// but not cached, so a flood cannot grow it.
struct MessageCache {
    struct Entry {
        var message: GossipMessage
        /// How often each peer asked for it by IWANT; bounded by the retransmission limit.
        var requests: [PeerID: Int] = [:]
    }

    let historyLength: Int
    let gossipWindows: Int
    let windowCapacity: Int
    private var windows: [[GossipMessageID]]
    private var entries: [GossipMessageID: Entry] = [:]

    init(historyLength: Int, gossipWindows: Int, windowCapacity: Int) {
        self.historyLength = max(1, historyLength)
        self.gossipWindows = min(max(1, gossipWindows), max(1, historyLength))
        self.windowCapacity = max(1, windowCapacity)
        windows = [[]]
    }

    var count: Int { entries.count }

    mutating func put(_ id: GossipMessageID, _ message: GossipMessage) {
        guard entries[id] == nil, windows[0].count < windowCapacity else { return }
        entries[id] = Entry(message: message)
        windows[0].append(id)
    }

    func message(_ id: GossipMessageID) -> GossipMessage? { entries[id]?.message }

    /// The message for an IWANT from `peer`, unless it already asked `limit` times.
    mutating func request(_ id: GossipMessageID, by peer: PeerID, limit: Int) -> GossipMessage? {
        guard var entry = entries[id] else { return nil }
        let asked = entry.requests[peer, default: 0]
        guard asked < limit else { return nil }
        entry.requests[peer] = asked + 1
        entries[id] = entry
        return entry.message
    }

    /// IDs to advertise for `topic`, newest windows first.
    func gossipIDs(topic: String) -> [GossipMessageID] {
        windows.prefix(gossipWindows).flatMap { $0.filter { entries[$0]?.message.topic == topic } }
    }

    /// Starts a new window at a heartbeat and forgets the oldest.
    mutating func shift() {
        windows.insert([], at: 0)
        while windows.count > historyLength {
            for id in windows.removeLast() { entries[id] = nil }
        }
    }
}
