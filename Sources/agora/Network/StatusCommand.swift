import AgoraCore
import AgoraMigrations
import AgoraNode
import AgoraRegistry
import AgoraStore
import AgoraViews
import AgoraWire
import ArgumentParser
import Foundation

/// `agora status`: the store's contents and, when `agora serve` runs on this home, how far
/// it has replicated each peer (read from the status file the daemon keeps; without a daemon
/// the positions come from the store).
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the store (events, feeds, archives, size) and sync position and lag per peer.")

    @OptionGroup var options: HomeOptions

    struct Report: Encodable {
        struct Sync: Encodable {
            let peer: String
            let position: UInt64
            let latest: UInt64?
            let lag: UInt64?
            let connected: Bool
        }

        let home: String
        let daemon: Bool
        let pid: Int32?
        let peerID: String?
        let mirror: Bool?
        let events: UInt64
        /// Events in the log not yet folded into the views (a node folds peers' batches behind
        /// the log; the next publish or the node's next idle moment folds them).
        let viewsLag: UInt64
        let feeds: Int
        let archives: Int
        let storeBytes: UInt64
        let sync: [Sync]
        /// The running daemon's gossip since it started; absent without one.
        let gossip: NodeStatus.Gossip?
        let reputationHeld: String?
        let cache: Cache

        /// The archive cache: what it holds and the budget `agora serve` keeps it to (the
        /// running daemon's; without one, the home's config; absent when unbounded: a mirror).
        struct Cache: Encodable {
            let usage: ArchiveCacheUsage
            let budget: UInt64?

            func encode(to encoder: any Encoder) throws {
                try usage.encode(to: encoder)
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(budget, forKey: .budget)
            }

            enum CodingKeys: String, CodingKey { case budget }
        }

        enum CodingKeys: String, CodingKey {
            case home, daemon, pid, peerID = "peer_id", mirror, events, viewsLag = "views_lag", feeds, archives, storeBytes = "store_bytes", sync, gossip
            case reputationHeld = "reputation_held", cache
        }
    }

    func run() throws {
        try reportingFailures {
            let home = options.home
            let store = try Store(home: home.url, migrations: AgoraMigrations.all, views: RegistryViews(), notice: HomeOptions.storeNotice)
            let daemon = NodeStatus.readLive(home: home.url)
            let counts = try store.counts()
            let views = try store.viewProgress()
            var sync: [Report.Sync] = []
            var live: Set<String> = []
            for peer in daemon?.peers ?? [] {
                guard let position = peer.syncPosition else { continue }
                live.insert(peer.peerID)
                sync.append(.init(peer: peer.peerID, position: position, latest: peer.syncLatest, lag: peer.syncLag, connected: true))
            }
            for position in try store.syncPositions() {
                let name = (try? PeerID(bytes: position.peer))?.base58 ?? Hex.encode(position.peer)
                guard !live.contains(name) else { continue }
                sync.append(.init(peer: name, position: position.localSeq, latest: nil, lag: nil, connected: false))
            }
            let size = (try? FileManager.default.attributesOfItem(atPath: home.storeURL.appendingPathComponent("data.mdb").path)[.size] as? NSNumber)?.uint64Value ?? 0
            let budget = try daemon.map { $0.archiveCacheBudget } ?? HomeConfig.budgetWithoutDaemon(store: store, home: home)
            let report = Report(
                home: home.url.path, daemon: daemon != nil, pid: daemon?.pid, peerID: daemon?.peerID, mirror: daemon?.mirror,
                events: views.logEnd, viewsLag: views.lag, feeds: counts.feeds, archives: counts.archives, storeBytes: size, sync: sync,
                gossip: daemon?.gossip, reputationHeld: daemon?.reputationHeld,
                cache: .init(usage: try store.archiveCacheUsage(), budget: budget))
            if options.json {
                try JSONOutput.print(report)
                return
            }
            say("home:     \(report.home)")
            if let daemon {
                say("daemon:   running (pid \(daemon.pid)\(daemon.mirror ? ", mirror" : "")) as \(daemon.peerID)")
            } else {
                say("daemon:   not running")
            }
            say("events:   \(report.events)")
            say("views:    \(report.viewsLag == 0 ? "current" : "\(report.viewsLag) events behind the log")")
            say("feeds:    \(report.feeds)")
            say("archives: \(report.archives)")
            say("store:    \(report.storeBytes) bytes")
            let cache = report.cache
            let shownBudget = cache.budget.map { "\($0)" } ?? "unbounded"
            say("cache:    \(cache.usage.bytes) of \(shownBudget) bytes in \(cache.usage.archives) archives; pinned \(cache.usage.pinnedArchives) (\(cache.usage.pinnedBytes) bytes)")
            if let gossip = report.gossip {
                let counts = "\(gossip.delivered) delivered, \(gossip.duplicates) duplicates, \(gossip.rejected) rejected, \(gossip.ignored) ignored"
                say("gossip:   \(gossip.topic): \(gossip.meshPeers) mesh peers; \(counts)")
            }
            if let held = report.reputationHeld { say("reputation: held: \(held)") }
            guard !sync.isEmpty else { return }
            var table = Table("PEER", "POSITION", "LATEST", "LAG", "CONNECTED")
            for row in sync {
                table.add(
                    row.peer, "\(row.position)", row.latest.map { "\($0)" } ?? "-", row.lag.map { "\($0)" } ?? "-",
                    row.connected ? "yes" : "no")
            }
            say(table.render())
        }
    }
}
