import AgoraCore
import AgoraDHT
import AgoraMigrations
import AgoraNode
import AgoraRegistry
import AgoraStore
import AgoraViews
import AgoraWire
import ArgumentParser
import Foundation

struct DHTCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dht",
        abstract: "Ask the Kademlia DHT: where a peer is, who provides a package or feed, a feed's signed head.",
        subcommands: [FindPeer.self, Providers.self, Get.self]
    )

    /// Joining the network: the CLI runs a client-mode DHT node for the duration of one query,
    /// through `--bootstrap`, else through this home's running daemon and remembered peers.
    struct Join: ParsableArguments {
        @Option(help: "A DHT peer's full multiaddr (…/p2p/<id>) to join through (repeatable; default: this home's daemon and the peers it met).")
        var bootstrap: [String] = []

        @Option(help: "Seconds one request to one peer may take.")
        var timeout: Int = 10

        @Flag(help: "Print JSON.")
        var json = false

        func validate() throws {
            guard (1...600).contains(timeout) else { throw ValidationError("--timeout must be 1 … 600 seconds") }
            for text in bootstrap where (try? Multiaddr(parsing: text))?.peerID == nil {
                throw ValidationError("--bootstrap \(text): need a multiaddr ending in /p2p/<peer id>")
            }
        }

        /// Runs `body` with a DHT node that has joined through the bootstrap peers.
        func withNode(_ body: (DHTNode) async throws -> Void) async throws {
            let home = AgoraHome.fromEnvironment()
            let daemon = NodeStatus.readLive(home: home.url)
            let peers = bootstrap.isEmpty ? Self.homePeers(home, daemon: daemon) : try bootstrap.map(NetworkCommand.parse)
            guard !peers.isEmpty else {
                throw RegistryError("no peer to ask: pass --bootstrap <multiaddr>, or start `agora serve` on this home", code: .notFound)
            }
            // One --timeout bounds dials as well as kad requests.
            let dial = try DialOptions.parse(["--timeout", "\(timeout)"])
            // The daemon uses the node key: a second connection with its peer ID would confuse peers.
            try await NetworkCommand.withHost(dial, identity: daemon == nil ? nil : Identity.generate()) { host in
                let node = try DHTNode(host: host, configuration: DHTConfiguration(mode: .client, requestTimeout: .seconds(timeout)))
                guard await node.bootstrap(peers, fillTable: false) > 0 else {
                    throw RegistryError("no bootstrap peer answered a DHT request", code: .notFound)
                }
                try await body(node)
            }
        }

        /// The running daemon's addresses and up to 32 peers the store remembers.
        static func homePeers(_ home: AgoraHome, daemon: NodeStatus?) -> [Multiaddr] {
            var peers = daemon?.listen.compactMap { try? Multiaddr(parsing: $0) } ?? []
            guard let store = try? Store(home: home.url, migrations: AgoraMigrations.all, views: RegistryViews(), notice: HomeOptions.storeNotice) else { return peers }
            for known in ((try? store.knownPeers()) ?? []).prefix(32) {
                guard let peer = try? PeerID(bytes: known.peer), !peers.contains(where: { $0.peerID == peer }),
                      let address = known.addresses.lazy.compactMap({ try? Multiaddr(bytes: $0) }).first
                else { continue }
                peers.append(address.withPeerID(peer))
            }
            return peers
        }
    }

    struct FindPeer: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "find-peer", abstract: "Find a peer's addresses by its peer ID.")

        @Argument(help: "The peer ID (12D3KooW…).")
        var key: String

        @OptionGroup var join: Join

        func run() async throws {
            let peer: PeerID
            do {
                peer = try PeerID(string: key)
            } catch {
                throw ValidationError("\(key): \(error)")
            }
            try await reportingFailures {
                try await join.withNode { node in
                    let addresses = await node.findPeer(peer)
                    if join.json {
                        try JSONOutput.print(PeerJSON(peer: peer, addresses: addresses))
                    } else {
                        for address in addresses { say("\(address.withPeerID(peer))") }
                    }
                    if addresses.isEmpty { throw RegistryError("peer \(peer) not found", code: .notFound) }
                }
            }
        }
    }

    struct Providers: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Find nodes providing a package (scope/name) or a feed (feed/<author key hex>)."
        )

        @Argument(help: "scope/name, or feed/<64 hex digits>.")
        var key: String

        @Option(help: "Stop after this many providers.")
        var count: Int = 20

        @OptionGroup var join: Join

        func validate() throws {
            _ = try providerKey()
            guard (1...1000).contains(count) else { throw ValidationError("--count must be 1 … 1000") }
        }

        func providerKey() throws -> [UInt8] {
            let parts = key.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw ValidationError("\(key): expected scope/name or feed/<author key hex>")
            }
            if parts[0] == "feed" {
                guard let author = PublicKey(hex: parts[1]) else { throw ValidationError("\(key): not a 32-byte key in hex") }
                return DHTNames.feedProviderKey(author: author)
            }
            return DHTNames.packageProviderKey(scope: parts[0], name: parts[1])
        }

        func run() async throws {
            let dhtKey = try providerKey()
            try await reportingFailures {
                try await join.withNode { node in
                    let providers = await node.findProviders(dhtKey, count: count)
                    var found: [PeerJSON] = []
                    for peer in providers { found.append(PeerJSON(peer: peer, addresses: await node.addresses(of: peer))) }
                    if join.json {
                        try JSONOutput.print(ProvidersJSON(key: key, dhtKey: Hex.encode(dhtKey), providers: found))
                    } else {
                        for provider in found {
                            say("\(provider.peerID) \(provider.addresses.joined(separator: " "))")
                        }
                    }
                    if providers.isEmpty { throw RegistryError("no provider of \(key) found", code: .notFound) }
                }
            }
        }
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Fetch the newest signed head of an author's feed.")

        @Argument(help: "The author's public key (64 hex digits).")
        var key: String

        @OptionGroup var join: Join

        func run() async throws {
            guard let author = PublicKey(hex: key) else { throw ValidationError("\(key): not a 32-byte key in hex") }
            try await reportingFailures {
                try await join.withNode { node in
                    guard let head = try await node.getFeedHead(author: author) else {
                        throw RegistryError("no signed feed head of \(author.short) found", code: .notFound)
                    }
                    if join.json {
                        try JSONOutput.print(FeedHeadJSON(author: author.hex, seq: head.seq, head: head.head.hex))
                    } else {
                        say("\(author.hex) seq \(head.seq) head \(head.head.hex)")
                    }
                }
            }
        }
    }

    struct PeerJSON: Encodable {
        let peerID: String
        let addresses: [String]

        init(peer: PeerID, addresses: [Multiaddr]) {
            peerID = peer.base58
            self.addresses = addresses.map { "\($0.withPeerID(peer))" }
        }

        enum CodingKeys: String, CodingKey {
            case peerID = "peer_id"
            case addresses
        }
    }

    struct ProvidersJSON: Encodable {
        let key: String
        let dhtKey: String
        let providers: [PeerJSON]

        enum CodingKeys: String, CodingKey {
            case key
            case dhtKey = "dht_key"
            case providers
        }
    }

    struct FeedHeadJSON: Encodable {
        let author: String
        let seq: UInt64
        let head: String
    }
}
