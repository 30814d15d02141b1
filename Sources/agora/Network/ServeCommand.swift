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
        let identity = try NodeIdentity.loadOrCreate()
        let host = P2PHost(identity: identity, logger: logger)
        do {
            for address in addresses {
                let bound = try await host.listen(on: address)
                say("\(bound.withPeerID(host.peerID))")
            }
        } catch {
            await host.shutdown()
            throw error
        }
        fflush(nil)
        let signal = await Self.waitForTermination()
        logger.notice("received \(signal), shutting down")
        await host.shutdown()
    }

    /// Suspends until SIGINT or SIGTERM arrives; returns its name.
    private static func waitForTermination() async -> String {
        await withCheckedContinuation { (continuation: CheckedContinuation<String, Never>) in
            let queue = DispatchQueue(label: "agora.signals")
            let resumed = SignalOnce(continuation)
            for (number, name) in [(SIGINT, "SIGINT"), (SIGTERM, "SIGTERM")] {
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
                source.setEventHandler { resumed.fire(name) }
                source.resume()
                resumed.keep(source)
            }
        }
    }
}

/// Resumes the waiting continuation on the first signal and keeps the sources alive.
/// Only touched on the signal queue, after setup.
private final class SignalOnce: @unchecked Sendable {
    private var continuation: CheckedContinuation<String, Never>?
    private var sources: [any DispatchSourceSignal] = []

    init(_ continuation: CheckedContinuation<String, Never>) {
        self.continuation = continuation
    }

    func keep(_ source: any DispatchSourceSignal) {
        sources.append(source)
    }

    func fire(_ name: String) {
        continuation?.resume(returning: name)
        continuation = nil
    }
}
