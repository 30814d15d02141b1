import AgoraDHT
import AgoraMigrations
import AgoraNode
import AgoraRegistry
import AgoraStore
import AgoraViews
import AgoraWire
import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run a node: listen for libp2p connections and replicate the log with peers until SIGINT or SIGTERM."
    )

    @Option(name: .long, help: "TCP multiaddr to listen on (repeatable); port 0 picks a free port.")
    var listen: [String] = ["/ip4/127.0.0.1/tcp/4001"]

    @Option(name: .long, parsing: .upToNextOption, help: "Peers to dial at start (multiaddrs ending in /p2p/<id>); later starts also dial every peer met before.")
    var bootstrap: [String] = []

    @Flag(help: "Keep a full copy: every feed and every archive.")
    var mirror = false

    @Option(help: "Archive cache budget without --mirror, e.g. 512MiB or 2GiB (default: config.json's archive_cache_bytes, else 1GiB); least recently used unpinned archives past it are deleted.")
    var cacheBudget: String?

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    @Option(help: "Most established connections (inbound and outbound together).")
    var maxConnections: Int = ConnectionLimits().maxConnections

    @Option(help: "Most inbound connections and handshakes from one IPv4 address or IPv6 /56.")
    var maxConnectionsPerAddress: Int = ConnectionLimits().maxConnectionsPerAddress

    @Option(help: "Kademlia DHT mode: auto (server when listening on a loopback, wildcard or public address), server, client or off.")
    var dht: DHTMode = .auto

    @OptionGroup var http: HTTPOptions

    @OptionGroup var metrics: MetricsOptions

    func validate() throws {
        guard maxConnections >= 1 else { throw ValidationError("--max-connections must be at least 1") }
        guard maxConnectionsPerAddress >= 1 else { throw ValidationError("--max-connections-per-address must be at least 1") }
        if let cacheBudget, (ByteSize.parse(cacheBudget) ?? .max) > HomeConfig.maxArchiveCacheBytes {
            throw ValidationError("--cache-budget \(cacheBudget): a size up to 1PiB (bytes, or e.g. 512MiB, 2GiB)")
        }
    }

    func run() async throws {
        let addresses = try listen.map { try Self.parse($0, option: "--listen") }
        let bootstrapAddresses = try bootstrap.map { try Self.parse($0, option: "--bootstrap") }
        var logger = Logger(label: "agora.serve")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        try await reportingFailures {
            let home = AgoraHome.fromEnvironment()
            let metricsBackend = metrics.bootstrap()
            let identity = try NodeIdentity.loadOrCreate(home: home)
            // One LMDB environment per process: with --http the front door and the node share
            // the registry's store (LMDB must not open one file twice in a process).
            let registry = http.address == nil ? nil : try Registry(home: home, notice: HomeOptions.storeNotice)
            let store = try registry?.store ?? Store(home: home.url, migrations: AgoraMigrations.all, views: RegistryViews(), notice: HomeOptions.storeNotice)
            var configuration = NodeConfiguration(
                listen: addresses, bootstrap: bootstrapAddresses, mirror: mirror, statusFile: NodeStatus.url(home: home.url))
            configuration.archiveCacheBytes = try cacheBudget.flatMap(ByteSize.parse) ?? HomeConfig.load(home: home).archiveCacheBudget
            try store.recordServedAsMirror(mirror)
            configuration.host.limits.maxConnections = maxConnections
            configuration.host.limits.reservedForOutbound = min(configuration.host.limits.reservedForOutbound, maxConnections / 8)
            configuration.host.limits.maxConnectionsPerAddress = maxConnectionsPerAddress
            configuration.host.limits.maxPendingInboundPerAddress = min(maxConnectionsPerAddress, configuration.host.limits.maxPendingInbound)
            let kad = try dht.module(home: home)
            // A mirror asks the DHT for archives none of its connected peers holds.
            let blobs = BlobNodeProtocol(providerSources: kad.map { [DHTArchiveProviders(dht: $0, store: store)] } ?? [])
            let node = try AgoraNode(
                identity: identity, store: store, configuration: configuration, protocols: [blobs] + (kad.map { [$0] } ?? []),
                reporterGuard: NodeFeedGuard(home: home), logger: logger
            ) { bound in
                for address in bound { say("\(address)") }
                fflush(nil)
            }
            var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: node)]
            if let server = try metrics.makeServer(backend: metricsBackend, node: { await node.status() }, logger: logger) {
                services.append(.init(service: server))
            }
            if let registry, let server = try http.makeServer(registry: registry, logger: logger, node: { await node.status() }) {
                services.append(.init(service: server))
            }
            // The group catches SIGINT and SIGTERM from before the node listens, so a supervisor
            // that stops the node as soon as it prints its address cannot kill it mid-start.
            let group = ServiceGroup(configuration: .init(
                services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
            try await group.run()
        }
    }

    static func parse(_ text: String, option: String) throws -> Multiaddr {
        do {
            return try Multiaddr(parsing: text)
        } catch {
            throw ValidationError("\(option) \(text): \(error)")
        }
    }
}

/// `agora serve --dht`: the DHT module, with records in `$AGORA_HOME/dht-records` and the
/// home's publisher key (if any) signing its feed head.
enum DHTMode: String, ExpressibleByArgument, CaseIterable {
    case auto, server, client, off

    func module(home: AgoraHome) throws -> DHTNodeProtocol? {
        let mode: DHTConfiguration.Mode?
        switch self {
        case .off: return nil
        case .auto: mode = nil
        case .server: mode = .server
        case .client: mode = .client
        }
        let configuration = DHTNodeProtocol.Configuration(
            mode: mode, recordStorePath: home.url.appendingPathComponent("dht-records").path,
            feedAuthor: try KeyFiles.publisherKey(home: home))
        return DHTNodeProtocol(configuration: configuration)
    }
}
