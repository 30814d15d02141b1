import AgoraWire
import ArgumentParser
import Dispatch
import Foundation
import Logging

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run a node: listen for libp2p connections until SIGINT or SIGTERM."
    )

    @Option(name: .long, help: "TCP multiaddr to listen on (repeatable); port 0 picks a free port.")
    var listen: [String] = ["/ip4/127.0.0.1/tcp/4001"]

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    @Option(help: "Most established connections (inbound and outbound together).")
    var maxConnections: Int = ConnectionLimits().maxConnections

    @Option(help: "Most inbound connections and handshakes from one IPv4 address or IPv6 /56.")
    var maxConnectionsPerAddress: Int = ConnectionLimits().maxConnectionsPerAddress

    @OptionGroup var http: HTTPOptions

    func validate() throws {
        guard maxConnections >= 1 else { throw ValidationError("--max-connections must be at least 1") }
        guard maxConnectionsPerAddress >= 1 else { throw ValidationError("--max-connections-per-address must be at least 1") }
    }

    func run() async throws {
        let addresses = try listen.map { text in
            do {
                return try Multiaddr(parsing: text)
            } catch {
                throw ValidationError("--listen \(text): \(error)")
            }
        }
        let level = Logger.Level(rawValue: logLevel) ?? .info
        var logger = Logger(label: "agora.serve")
        logger.logLevel = level
        // Signals are caught from before the first address is printed, so a supervisor that
        // stops the node as soon as it sees the address neither loses the signal nor kills us.
        let signals = Self.catchTerminationSignals()
        let identity = try NodeIdentity.loadOrCreate()
        var configuration = HostConfiguration()
        configuration.limits.maxConnections = maxConnections
        configuration.limits.reservedForOutbound = min(configuration.limits.reservedForOutbound, maxConnections / 8)
        configuration.limits.maxConnectionsPerAddress = maxConnectionsPerAddress
        configuration.limits.maxPendingInboundPerAddress = min(maxConnectionsPerAddress, configuration.limits.maxPendingInbound)
        try await withRunningHost(P2PHost(identity: identity, configuration: configuration, logger: logger)) { host in
            for address in addresses {
                try await host.listen(on: address)
            }
            for address in await host.listenAddresses {
                say("\(address.withPeerID(host.peerID))")
            }
            fflush(nil)
            try await http.withServer(logger: logger) {
                var received = signals.names.makeAsyncIterator()
                let signal = await received.next() ?? "end of signals"
                signals.sources.forEach { $0.cancel() }
                logger.notice("received \(signal), shutting down")
            }
        }
    }
}

extension ServeCommand {
    /// SIGINT and SIGTERM as a stream of names; from the call on they no longer terminate the
    /// process. The sources stay alive until the caller cancels them.
    static func catchTerminationSignals() -> (names: AsyncStream<String>, sources: [any DispatchSourceSignal]) {
        let (names, continuation) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .bufferingOldest(1))
        let queue = DispatchQueue(label: "agora.signals")
        let sources = [(SIGINT, "SIGINT"), (SIGTERM, "SIGTERM")].map { number, name in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { continuation.yield(name) }
            source.resume()
            return source
        }
        return (names, sources)
    }
}
