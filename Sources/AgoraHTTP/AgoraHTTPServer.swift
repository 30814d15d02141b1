import AgoraNode
import AgoraRegistry
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL
import ServiceLifecycle

/// Reads the running node's state for `/-/api/v1/status` and `/-/api/v1/peers`.
public typealias NodeStatusSource = @Sendable () async -> NodeStatus

/// A node's HTTP front door: the Swift Package Registry API, the JSON API and the web page,
/// over HTTP or HTTPS. A swift-service-lifecycle `Service`: run it in the node's
/// `ServiceGroup`, or cancel its task to stop it.
public struct AgoraHTTPServer: Service {
    let application: any Service

    /// `onListening` gets the bound port once the server accepts connections; `node` is the
    /// node the server runs beside, if any.
    public init(
        registry: Registry, configuration: HTTPConfiguration, logger: Logger, node: NodeStatusSource? = nil,
        onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) throws {
        let router = Router(context: AgoraRequestContext.self)
        let metrics = HTTPMetricsMiddleware<AgoraRequestContext>()
        router.add(middleware: metrics)
        router.add(middleware: ProblemMiddleware())
        let registryRoutes = RegistryRoutes(registry: registry, configuration: configuration)
        registryRoutes.add(to: router)
        JSONAPIRoutes(registry: registry, node: node).add(to: router)
        let responder = CachedReadResponder(routes: registryRoutes, metrics: metrics.counters, router: router.buildResponder())
        let server: HTTPServerBuilder
        if let certificatePath = configuration.tlsCertificatePath, let keyPath = configuration.tlsKeyPath {
            let chain = try NIOSSLCertificate.fromPEMFile(certificatePath).map { NIOSSLCertificateSource.certificate($0) }
            let key = try NIOSSLPrivateKey(file: keyPath, format: .pem)
            server = try .tls(.http1(), tlsConfiguration: .makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(key)))
        } else {
            server = .http1()
        }
        var requestLogger = logger
        requestLogger.handler = DeferredMetadataLogHandler(base: logger.handler)
        application = Application(
            responder: responder, server: server,
            configuration: ApplicationConfiguration(address: .hostname(configuration.host, port: configuration.port), serverName: nil),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? 0) },
            logger: requestLogger)
    }

    public func run() async throws {
        try await application.run()
    }
}
