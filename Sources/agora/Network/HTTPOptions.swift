import AgoraHTTP
import AgoraRegistry
import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle

/// `serve`'s HTTP front door options.
struct HTTPOptions: ParsableArguments {
    @Option(name: .customLong("http"), help: "Serve the registry API, JSON API and web page on HOST:PORT (e.g. 127.0.0.1:8080; port 0 picks one).")
    var address: String?

    @Option(name: .customLong("tls-cert"), help: "PEM certificate chain: serve HTTPS (with --tls-key).")
    var tlsCertificate: String?

    @Option(name: .customLong("tls-key"), help: "PEM private key of --tls-cert.")
    var tlsKey: String?

    @Option(name: .customLong("http-token-file"), help: "File holding the bearer token that authorises publishing.")
    var tokenFile: String?

    @Flag(name: .customLong("http-allow-loopback-writes"), help: "Allow publishing without a token over plain HTTP from loopback clients.")
    var allowLoopbackWrites = false

    func validate() throws {
        guard (tlsCertificate == nil) == (tlsKey == nil) else { throw ValidationError("--tls-cert and --tls-key go together") }
        if address == nil, tlsCertificate != nil || tokenFile != nil || allowLoopbackWrites {
            throw ValidationError("--tls-cert, --http-token-file and --http-allow-loopback-writes need --http HOST:PORT")
        }
        if let address { _ = try Self.split(address) }
    }

    static func split(_ address: String) throws -> (host: String, port: Int) {
        var host = "127.0.0.1"
        var portText = Substring(address)
        if let colon = address.lastIndex(of: ":") {
            host = String(address[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
            portText = address[address.index(after: colon)...]
        }
        guard !host.isEmpty, let port = Int(portText), (0...65535).contains(port) else {
            throw ValidationError("--http \(address): expected HOST:PORT, e.g. 127.0.0.1:8080")
        }
        return (host, port)
    }

    /// Runs `body` while the HTTP server (when `--http` was given) serves beside it; prints
    /// the server's URL once it listens.
    func withServer(logger: Logger, _ body: () async throws -> Void) async throws {
        guard let address else { return try await body() }
        let (host, port) = try Self.split(address)
        var token: String?
        if let tokenFile {
            guard let text = try? String(contentsOfFile: tokenFile, encoding: .utf8),
                  !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw ValidationError("--http-token-file \(tokenFile): cannot read a token from it")
            }
            token = text.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let configuration = HTTPConfiguration(
            host: host, port: port, tlsCertificatePath: tlsCertificate, tlsKeyPath: tlsKey, token: token,
            allowTokenlessLoopbackWrites: allowLoopbackWrites)
        let registry = try Registry(home: .fromEnvironment())
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let server = try AgoraHTTPServer(registry: registry, configuration: configuration, logger: logger) { bound in
            continuation.yield(bound)
            continuation.finish()
        }
        let services = ServiceGroup(configuration: .init(services: [server], logger: logger))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                defer { continuation.finish() }
                try await services.run()
            }
            var listening = false
            for await bound in ports {
                listening = true
                let shownHost = host.contains(":") ? "[\(host)]" : host
                say("\(configuration.usesTLS ? "https" : "http")://\(shownHost):\(bound)")
                fflush(nil)
            }
            guard listening else {
                _ = try await group.next()
                throw ValidationError("--http \(address): the server stopped before listening")
            }
            do {
                try await body()
            } catch {
                await services.triggerGracefulShutdown()
                throw error
            }
            await services.triggerGracefulShutdown()
        }
    }
}
