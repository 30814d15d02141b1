import AgoraCore
import AgoraHTTP
import AgoraNode
import AgoraRegistry
import AgoraStore
import AgoraTestSupport
import AgoraWire
import Foundation
import Logging
import ServiceLifecycle
import Testing

/// Issue 10's "publish via A, resolve via B": two nodes, each a libp2p node and an HTTP
/// registry on one store, as `agora serve --http` runs them.
@Suite struct CrossNodeNetworkTests {
    struct Node: Sendable {
        let registry: Registry
        let port: Int
        let addresses: [Multiaddr]
        var client: RawHTTP { RawHTTP(port: port) }
    }

    /// Runs a node (libp2p on `host`, HTTP on a free loopback port) for the duration of `body`.
    static func withNode<T: Sendable>(
        host: String, mirror: Bool = false, bootstrap: [Multiaddr] = [], _ body: @Sendable (Node) async throws -> T
    ) async throws -> T {
        let home = try TemporaryDirectory()
        let agoraHome = AgoraHome(url: home.url.appendingPathComponent("home"))
        _ = try Registry.initialize(home: agoraHome)
        let registry = try Registry(home: agoraHome)
        var logger = Logger(label: "agora.cross-node.test")
        logger.logLevel = .warning
        var http = HTTPConfiguration(allowTokenlessLoopbackWrites: true)
        http.port = 0
        let (ports, portSink) = AsyncStream.makeStream(of: Int.self)
        let server = try AgoraHTTPServer(registry: registry, configuration: http, logger: logger, onListening: {
            portSink.yield($0)
            portSink.finish()
        })
        var configuration = NodeConfiguration(
            listen: [try Multiaddr(parsing: "/ip4/\(host)/tcp/0")], bootstrap: bootstrap, mirror: mirror,
            storePollInterval: .milliseconds(50), redialInterval: .milliseconds(300))
        configuration.host.streamNegotiationTimeout = .seconds(30)
        configuration.host.upgrade.timeout = .seconds(30)
        let (bound, boundSink) = AsyncStream.makeStream(of: [Multiaddr].self)
        let node = try AgoraNode(
            identity: Identity.generate(), store: registry.store, configuration: configuration, protocols: [BlobNodeProtocol()], logger: logger
        ) {
            boundSink.yield($0)
            boundSink.finish()
        }
        let services = ServiceGroup(configuration: .init(services: [server, node], logger: logger))
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                defer {
                    portSink.finish()
                    boundSink.finish()
                }
                try await services.run()
                return nil
            }
            guard let port = await ports.first(where: { _ in true }), let addresses = await bound.first(where: { _ in true }) else {
                _ = try await group.next()
                throw RawHTTP.Failure(description: "the node stopped before listening")
            }
            do {
                let result = try await body(Node(registry: registry, port: port, addresses: addresses))
                await services.triggerGracefulShutdown()
                return result
            } catch {
                await services.triggerGracefulShutdown()
                throw error
            }
        }
    }

    /// A package published to A over HTTP reaches mirror B (event by sync, archive by the blob
    /// protocol); B's archive endpoint serves the same bytes, and SwiftPM resolves it through
    /// B with the checksum A's publisher signed.
    @Test func publishedThroughOneNodeResolvesThroughAnother() async throws {
        let archive = try Fixtures.zip(Fixtures.library(greeting: "hello across nodes"))
        try await Self.withNode(host: "127.0.0.71") { a in
            let created = try await RegistryAPINetworkTests.publish(a.client, "/acme/Greeter/1.0.0", archive: archive)
            #expect(created.status == 201, "\(created)")
            try await Self.withNode(host: "127.0.0.72", mirror: true, bootstrap: a.addresses) { b in
                let digest = try #require(BlobDigest(hex: Fixtures.sha256(archive)))
                try await Self.waitUntil("B holds the archive") { try b.registry.store.hasBlob(digest) }
                let served = try await b.client.request("GET", "/acme/Greeter/1.0.0.zip", headers: RegistryAPINetworkTests.accept)
                #expect(served.status == 200, "\(served)")
                #expect(served.body == archive)

                let paths = try SwiftPMNetworkTests.SwiftPMPaths()
                let consumer = try await paths.consumer(of: "http://127.0.0.1:\(b.port)")
                let resolved = try await Subprocess.run(
                    Subprocess.swift, ["package", "resolve"] + paths.options, in: consumer, environment: paths.environment)
                #expect(resolved.status == 0, "\(resolved)")
                let fingerprints = try String(contentsOfFile: paths.security + "/fingerprints/acme.Greeter.json", encoding: .utf8)
                #expect(fingerprints.contains(Fixtures.sha256(archive)))
            }
        }
    }

    static func waitUntil(_ what: String, within limit: Duration = .seconds(60), _ condition: () throws -> Bool) async throws {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if try condition() { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("timed out waiting until \(what)")
    }
}
