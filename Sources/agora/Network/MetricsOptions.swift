import AgoraHTTP
import ArgumentParser
import Foundation
import Logging

/// `serve --metrics HOST:PORT`: Prometheus text format at `/metrics`.
struct MetricsOptions: ParsableArguments {
    @Option(name: .customLong("metrics"), help: "Serve Prometheus metrics at http://HOST:PORT/metrics (e.g. 127.0.0.1:9464; loopback unless another address is given).")
    var address: String?

    func validate() throws {
        if let address { _ = try HTTPOptions.split(address, option: "--metrics") }
    }

    /// The metrics backend, bootstrapped: call before the node makes its counters.
    func bootstrap() -> MetricsBackend? {
        address == nil ? nil : MetricsBackend.bootstrap()
    }

    /// The endpoint as a service for `serve`'s group; nil without `--metrics`.
    func makeServer(backend: MetricsBackend?, node: @escaping NodeStatusSource, logger: Logger) throws -> MetricsServer? {
        guard let address, let backend else { return nil }
        let (host, port) = try HTTPOptions.split(address, option: "--metrics")
        let shownHost = host.contains(":") ? "[\(host)]" : host
        return MetricsServer(backend: backend, host: host, port: port, node: node, logger: logger) { bound in
            say("metrics http://\(shownHost):\(bound)/metrics")
            fflush(nil)
        }
    }
}
