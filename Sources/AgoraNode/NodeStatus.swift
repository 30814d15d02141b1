import Foundation

/// What a running node publishes about itself for `agora status` and `agora peers`: the
/// daemon rewrites `$AGORA_HOME/node.status.json` (temp file + rename, so readers never see a
/// torn file) every `statusInterval`; a reader trusts it only while `pid` is alive.
public struct NodeStatus: Codable, Sendable, Equatable {
    public struct Peer: Codable, Sendable, Equatable {
        public var peerID: String
        public var addresses: [String]
        public var agent: String?
        public var protocols: [String]
        public var rttMillis: Double?
        /// The peer's log replicated through this local sequence of its own.
        public var syncPosition: UInt64?
        public var syncLatest: UInt64?
        public var syncLag: UInt64?
        public var eventsReceived: UInt64?
        public var live: Bool?
        public var lastError: String?
        /// `PeerScore.score(at:)` now, from this node's own reports (0.5: nothing reported yet).
        public var score: Double?
        public var standing: PeerStanding?

        enum CodingKeys: String, CodingKey {
            case peerID = "peer_id", addresses, agent, protocols, rttMillis = "rtt_ms", syncPosition = "sync_position"
            case syncLatest = "sync_latest", syncLag = "sync_lag", eventsReceived = "events_received", live, lastError = "last_error"
            case score, standing
        }
    }

    /// A peer sync cut off for breaking the protocol, and why.
    public struct CutOff: Codable, Sendable, Equatable {
        public var peerID: String
        public var reason: String

        enum CodingKeys: String, CodingKey { case peerID = "peer_id", reason }
    }

    /// Gossip on the network's topic since the node started.
    public struct Gossip: Codable, Sendable, Equatable {
        public var topic: String
        public var meshPeers: Int
        public var delivered: Int
        public var duplicates: Int
        public var rejected: Int
        public var ignored: Int

        enum CodingKeys: String, CodingKey {
            case topic, meshPeers = "mesh_peers", delivered, duplicates, rejected, ignored
        }
    }

    public var pid: Int32
    public var peerID: String
    public var listen: [String]
    public var mirror: Bool
    public var updated: Date
    public var peers: [Peer]
    public var cutOff: [CutOff]
    public var gossip: Gossip?
    /// Why the node signs no reputation events now: its store lacks part of its own feed.
    public var reputationHeld: String?
    /// The archive cache's budget in bytes; nil when unbounded (a mirror).
    public var archiveCacheBudget: UInt64?
    /// Events in the log not yet folded into the views (peers' batches are folded behind the
    /// log); nil when the store keeps no views.
    public var viewsLag: UInt64?

    enum CodingKeys: String, CodingKey {
        case pid, peerID = "peer_id", listen, mirror, updated, peers, cutOff = "cut_off", gossip, reputationHeld = "reputation_held"
        case archiveCacheBudget = "archive_cache_budget", viewsLag = "views_lag"
    }

    public static func url(home: URL) -> URL { home.appendingPathComponent("node.status.json") }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }()

    public func write(to url: URL) throws {
        let data = try Self.encoder.encode(self)
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())")
        try data.write(to: temporary)
        guard rename(temporary.path, url.path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "rename \(url.path): \(reason)"])
        }
    }

    /// The running daemon's status, or nil when there is no file, it does not decode (at most
    /// 4 MiB is read), it is older than `staleAfter` seconds or its process is gone.
    public static func readLive(home: URL, staleAfter: TimeInterval = 15) -> NodeStatus? {
        let url = url(home: home)
        guard let handle = try? FileHandle(forReadingFrom: url) else { return nil }
        defer { try? handle.close() }
        guard let data = try? handle.read(upToCount: 4 << 20) else { return nil }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        // A file that has not been rewritten for a while belongs to a daemon that died (its pid
        // may since name another process).
        guard let status = try? decoder.decode(NodeStatus.self, from: data), status.pid > 0,
              status.updated.timeIntervalSinceNow > -staleAfter
        else { return nil }
        guard kill(status.pid, 0) == 0 || errno == EPERM else { return nil }
        return status
    }
}
