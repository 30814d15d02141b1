import AgoraCore
import AgoraHTTP
import AgoraRegistry
import AgoraTestSupport
import Foundation
import Logging
import ServiceLifecycle

/// A node (fresh home, real store) serving HTTP on a free loopback port for the duration of `body`.
enum TestNode {
    struct Running: Sendable {
        let registry: Registry
        let port: Int
        /// The home, for `agora` processes that write to the same store.
        let home: URL
        var client: RawHTTP { RawHTTP(port: port) }
    }

    static func with<T: Sendable>(
        configuration: HTTPConfiguration = HTTPConfiguration(allowTokenlessLoopbackWrites: true),
        _ body: @Sendable (Running) async throws -> T
    ) async throws -> T {
        let home = try TemporaryDirectory()
        let agoraHome = AgoraHome(url: home.url.appendingPathComponent("home"))
        _ = try Registry.initialize(home: agoraHome)
        let registry = try Registry(home: agoraHome)
        var configuration = configuration
        configuration.port = 0
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        var logger = Logger(label: "agora.http.test")
        logger.logLevel = .warning
        let server = try AgoraHTTPServer(registry: registry, configuration: configuration, logger: logger, onListening: {
            continuation.yield($0)
            continuation.finish()
        })
        let services = ServiceGroup(configuration: .init(services: [server], logger: logger))
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                defer { continuation.finish() }
                try await services.run()
                return nil
            }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else {
                _ = try await group.next()
                throw RawHTTP.Failure(description: "the server stopped before listening")
            }
            do {
                let result = try await body(Running(registry: registry, port: port, home: agoraHome.url))
                await services.triggerGracefulShutdown()
                return result
            } catch {
                await services.triggerGracefulShutdown()
                throw error
            }
        }
    }
}

