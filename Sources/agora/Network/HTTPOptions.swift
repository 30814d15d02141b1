import AgoraHTTP
import AgoraRegistry
import ArgumentParser
import Foundation
import Logging

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
        if let address { _ = try Self.split(address, option: "--http") }
    }

    static func split(_ address: String, option: String) throws -> (host: String, port: Int) {
        var host = "127.0.0.1"
        var portText = Substring(address)
        if let colon = address.lastIndex(of: ":") {
            host = String(address[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
            portText = address[address.index(after: colon)...]
        }
        guard !host.isEmpty, let port = Int(portText), (0...65535).contains(port) else {
            throw ValidationError("\(option) \(address): expected HOST:PORT, e.g. 127.0.0.1:8080")
        }
        return (host, port)
    }

    /// The HTTP front door as a service for `serve`'s group, or nil without `--http`; prints
    /// the server's URL once it listens.
    func makeServer(registry: Registry, logger: Logger, node: NodeStatusSource?) throws -> AgoraHTTPServer? {
        guard let address else { return nil }
        let (host, port) = try Self.split(address, option: "--http")
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
        let shownHost = host.contains(":") ? "[\(host)]" : host
        let scheme = configuration.usesTLS ? "https" : "http"
        return try AgoraHTTPServer(registry: registry, configuration: configuration, logger: logger, node: node) { bound in
            say("\(scheme)://\(shownHost):\(bound)")
            fflush(nil)
        }
    }
}
