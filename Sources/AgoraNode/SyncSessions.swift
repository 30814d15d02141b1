import AgoraSync
import AgoraWire

/// Where replication with each peer stands, for status and for the follow loop: which peers
/// have a session, their progress, and peers cut off for misbehaving (until a deadline).
/// It also decides who ships the log while this node is behind: one session at a time leads
/// (follows its peer's changes feed in full); the others wait until some session is live, then
/// skim (fetch only what their peer has beyond ours), or take the lead when the leader ends or
/// delivers nothing for `takeoverAfter`.
actor SyncSessions {
    enum Role: Equatable {
        case lead
        case skim
    }

    struct Progress: Sendable, Equatable {
        var position: UInt64
        var peerLatest: UInt64
        /// Events the peer sent this node since it started (duplicates included).
        var received: UInt64 = 0
        var live = false
        var lastError: String?
    }

    static let banDuration: Duration = .seconds(600)
    private var running: Set<PeerID> = []
    private(set) var progress: [PeerID: Progress] = [:]
    private var banned: [PeerID: (until: ContinuousClock.Instant, reason: String)] = [:]

    /// True when the caller should start a session (none running, peer not banned).
    func begin(_ peer: PeerID) -> Bool {
        guard !isBanned(peer), !running.contains(peer) else { return false }
        running.insert(peer)
        return true
    }

    func end(_ peer: PeerID) {
        running.remove(peer)
        waitingSince[peer] = nil
        if leader == peer { leader = nil }
    }

    private var leader: PeerID?
    /// Since when each session has been waiting for its peer's next reply (absent: it is not;
    /// time spent on this node, such as waiting for the writer, does not count).
    private var waitingSince: [PeerID: ContinuousClock.Instant] = [:]

    /// The role `peer`'s next session should take, or nil while it should wait: the leader
    /// is running and has not waited `takeoverAfter` for a reply, and no session is live yet.
    func role(for peer: PeerID, takeoverAfter: Duration) -> Role? {
        if running.contains(where: { $0 != peer && progress[$0]?.live == true }) { return .skim }
        if let current = leader, current != peer, running.contains(current) {
            guard let since = waitingSince[current], since + takeoverAfter < .now else { return nil }
        }
        leader = peer
        return .lead
    }

    /// Events received from `peer` before the current session, so totals survive reconnects.
    private var earlier: [PeerID: UInt64] = [:]

    func started(_ peer: PeerID, session machine: SyncClientMachine) {
        earlier[peer] = progress[peer]?.received ?? 0
        waitingSince[peer] = nil
        update(peer, machine: machine, waiting: true)
    }

    func update(_ peer: PeerID, machine: SyncClientMachine, waiting: Bool) {
        waitingSince[peer] = waiting ? waitingSince[peer] ?? .now : nil
        var entry = progress[peer] ?? Progress(position: machine.position, peerLatest: machine.peerLatest)
        entry.position = machine.position
        entry.peerLatest = machine.peerLatest
        entry.received = (earlier[peer] ?? 0) + machine.eventsReceived
        entry.live = machine.headsChecked && machine.lag == 0
        entry.lastError = nil
        progress[peer] = entry
    }

    func failed(_ peer: PeerID, _ error: String, ban: Bool) {
        progress[peer, default: Progress(position: 0, peerLatest: 0)].lastError = error
        progress[peer]?.live = false
        if ban { banned[peer] = (.now + Self.banDuration, error) }
    }

    func isBanned(_ peer: PeerID) -> Bool {
        guard let ban = banned[peer] else { return false }
        if ban.until > .now { return true }
        banned[peer] = nil
        return false
    }

    /// Peers cut off now, with the reason.
    var cutOff: [(peer: PeerID, reason: String)] {
        banned.filter { $0.value.until > .now }.map { ($0.key, $0.value.reason) }.sorted { $0.peer.base58 < $1.peer.base58 }
    }
}
