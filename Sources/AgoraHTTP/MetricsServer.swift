import AgoraNode
import CoreMetrics
import Hummingbird
import Logging
import Prometheus
import ServiceLifecycle

/// The process's swift-metrics backend: a Prometheus registry.
public struct MetricsBackend: Sendable {
    let registry: PrometheusCollectorRegistry

    /// Makes a Prometheus registry the swift-metrics backend of the process. Call once, before
    /// any module creates its counters: a counter made earlier stays a no-op.
    public static func bootstrap() -> MetricsBackend {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return MetricsBackend(registry: registry)
    }
}

/// `agora serve --metrics HOST:PORT`: the process's metrics in Prometheus text format at
/// `GET /metrics`, on its own listener (loopback unless another address is asked), so
/// scraping never shares a port, a token or a rate with registry clients.
///
/// Counters live in the modules that own them (see docs/DESIGN-NOTES.md, "Metrics");
/// gauges that describe the node's present state (peers connected, sync lag) are read from
/// the node at each scrape, so they can never drift from `agora status`.
public struct MetricsServer: Service {
    let application: any Service

    public init(
        backend: MetricsBackend, host: String, port: Int, node: NodeStatusSource?, logger: Logger,
        onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) {
        let registry = backend.registry
        let router = Router()
        let peers = registry.makeGauge(descriptor: MetricNameDescriptor(
            namespace: "agora", metricName: "peers", unitName: "connected", helpText: "Peers the node is connected to"))
        let lag = MetricNameDescriptor(
            namespace: "agora", subsystem: "sync", metricName: "lag", unitName: "events",
            helpText: "Events connected peers hold that this node has not synced yet (the furthest-behind peer, and all together)")
        let maxLag = registry.makeGauge(descriptor: lag, labels: [("peer", "max")])
        let totalLag = registry.makeGauge(descriptor: lag, labels: [("peer", "sum")])
        router.get("/metrics") { _, _ -> Response in
            if let status = await node?() {
                let lags = status.peers.compactMap(\.syncLag)
                peers.set(Int64(status.peers.count))
                maxLag.set(Int64(clamping: lags.max() ?? 0))
                totalLag.set(lags.reduce(0.0) { $0 + Double($1) })
            }
            var headers: HTTPFields = [:]
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
        }
        application = Application(
            router: router, configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: nil),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? 0) }, logger: logger)
    }

    public func run() async throws {
        try await application.run()
    }
}
