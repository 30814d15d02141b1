import AgoraViews
import AgoraWire

/// How a node treats a peer at a moment, from its own reports about it (`PeerScore.score(at:)`,
/// 0.5 with no history; old reports weigh less, so standings recover with time). Pure, so the
/// rules are tested without sockets; the thresholds are in
/// docs/DESIGN-NOTES.md ("Reputation").
public enum PeerStanding: String, Sendable, Codable {
    /// Asked first, in score then RTT order.
    case usable
    /// Asked only when no usable peer has what is wanted (slow or often failing).
    case avoided
    /// Proven to have sent bad data and scoring below `cutOffBelow`: disconnected, not
    /// redialled for the ban's length, never asked.
    case cutOff

    public static let avoidBelow = 0.25
    public static let cutOffBelow = 0.1

    /// `now`: milliseconds since 1970.
    public init(_ score: PeerScore?, now: UInt64) {
        guard let score else {
            self = .usable
            return
        }
        let value = score.score(at: now)
        if score.proven, value < Self.cutOffBelow {
            self = .cutOff
        } else if value < Self.avoidBelow {
            self = .avoided
        } else {
            self = .usable
        }
    }
}

public enum PeerSelection {
    public struct Candidate: Sendable {
        public var peer: PeerID
        public var score: PeerScore?
        public var rtt: Duration?

        public init(peer: PeerID, score: PeerScore?, rtt: Duration?) {
            self.peer = peer
            self.score = score
            self.rtt = rtt
        }
    }

    /// Usable peers by score (in tenths, so noise in the fourth decimal does not beat a
    /// faster peer), then RTT (measured before unmeasured), then peer ID for a stable order;
    /// avoided peers only when no usable one is left; cut-off peers never.
    public static func rank(_ candidates: [Candidate], now: UInt64) -> [PeerID] {
        let usable = candidates.filter { PeerStanding($0.score, now: now) == .usable }
        let chosen = usable.isEmpty ? candidates.filter { PeerStanding($0.score, now: now) == .avoided } : usable
        return chosen.sorted { precedes($0, $1, now: now) }.map(\.peer)
    }

    static func precedes(_ a: Candidate, _ b: Candidate, now: UInt64) -> Bool {
        let (sa, sb) = (bucket(a.score, now: now), bucket(b.score, now: now))
        if sa != sb { return sa > sb }
        switch (a.rtt, b.rtt) {
        case let (x?, y?) where x != y: return x < y
        case (.some, nil): return true
        case (nil, .some): return false
        default: return a.peer.base58 < b.peer.base58
        }
    }

    private static func bucket(_ score: PeerScore?, now: UInt64) -> Int {
        Int(((score?.score(at: now) ?? 0.5) * 10).rounded(.down))
    }
}
