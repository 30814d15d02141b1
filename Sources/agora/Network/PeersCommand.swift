import AgoraCore
import AgoraMigrations
import AgoraNode
import AgoraStore
import AgoraViews
import AgoraWire
import ArgumentParser
import Foundation

/// `agora peers`: the running daemon's connected peers (RTT, score, agent, protocols, sync lag);
/// without a daemon, the peers the store remembers.
struct PeersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "peers",
        abstract: "List connected peers (RTT, what they serve, sync lag), or remembered peers when no daemon runs.")

    @OptionGroup var options: HomeOptions

    struct Remembered: Encodable {
        let peerID: String
        let addresses: [String]
        let connected = false

        enum CodingKeys: String, CodingKey { case peerID = "peer_id", addresses, connected }
    }

    func run() throws {
        try reportingFailures {
            let home = options.home
            if let daemon = NodeStatus.readLive(home: home.url) {
                if options.json {
                    try JSONOutput.print(daemon.peers)
                    return
                }
                var table = Table("PEER", "RTT MS", "SCORE", "LAG", "AGENT", "SERVES")
                for peer in daemon.peers {
                    table.add(
                        peer.peerID, peer.rttMillis.map { String(format: "%.2f", $0) } ?? "-",
                        peer.score.map { String(format: "%.2f", $0) + (peer.standing.map { $0 == .usable ? "" : " \($0.rawValue)" } ?? "") } ?? "-",
                        peer.syncLag.map { "\($0)" } ?? "-",
                        peer.agent ?? "-", peer.protocols.filter { !$0.hasPrefix("/ipfs/") }.joined(separator: " "))
                }
                say(table.render())
                return
            }
            let store = try Store(home: home.url, migrations: AgoraMigrations.all, views: RegistryViews(), notice: HomeOptions.storeNotice)
            let remembered = try store.knownPeers().compactMap { known -> Remembered? in
                guard let peer = try? PeerID(bytes: known.peer) else { return nil }
                return Remembered(peerID: peer.base58, addresses: known.addresses.compactMap { try? Multiaddr(bytes: $0) }.map { "\($0)" })
            }
            if options.json {
                try JSONOutput.print(remembered)
                return
            }
            say("no daemon runs on \(home.url.path); peers met before:")
            var table = Table("PEER", "ADDRESSES")
            for peer in remembered { table.add(peer.peerID, peer.addresses.joined(separator: " ")) }
            say(table.render())
        }
    }
}
