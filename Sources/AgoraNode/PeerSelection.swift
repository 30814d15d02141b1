import AgoraViews
import AgoraWire

/// How a node treats a peer, from its own reports about it (`PeerScore.score`, 0.5 with no
/// history). Pure, so the rules are tested without sockets; the thresholds are in
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

    public init(_ score: PeerScore?) {
        guard let score else {
            self = .usable
            return
        }
        let proven = score.penalties > 0 || score.digestMismatches > 0
        if proven, score.score < Self.cutOffBelow {
            self = .cutOff
        } else if score.score < Self.avoidBelow {
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
    public static func rank(_ candidates: [Candidate]) -> [PeerID] {
        let usable = candidates.filter { PeerStanding($0.score) == .usable }
        let chosen = usable.isEmpty ? candidates.filter { PeerStanding($0.score) == .avoided } : usable
        return chosen.sorted(by: precedes).map(\.peer)
    }

    static func precedes(_ a: Candidate, _ b: Candidate) -> Bool {
        let (sa, sb) = (bucket(a.score), bucket(b.score))
        if sa != sb { return sa > sb }
        switch (a.rtt, b.rtt) {
        case let (x?, y?) where x != y: return x < y
        case (.some, nil): return true
        case (nil, .some): return false
        default: return a.peer.base58 < b.peer.base58
        }
    }

    private static func bucket(_ score: PeerScore?) -> Int {
        Int(((score?.score ?? 0.5) * 10).rounded(.down))
    }
}
