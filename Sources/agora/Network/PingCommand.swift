import AgoraCore
import AgoraWire
import ArgumentParser
import Foundation
import Logging

struct PingCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ping",
        abstract: "Dial a libp2p peer and measure /ipfs/ping/1.0.0 round trips."
    )

    @Argument(help: "The peer's multiaddr, e.g. /ip4/127.0.0.1/tcp/4001/p2p/12D3KooW…")
    var address: String

    @Option(name: .shortAndLong, help: "Number of pings.")
    var count: Int = 3

    @OptionGroup var dial: DialOptions

    func validate() throws {
        guard (1...1000).contains(count) else { throw ValidationError("--count must be between 1 and 1000") }
    }

    func run() async throws {
        let target = try NetworkCommand.parse(address)
        try await reportingFailures {
            try await NetworkCommand.withHost(dial) { host in
                let connection = try await host.connect(to: target)
                say("connected to \(connection.remotePeer)")
                let rtts = try await host.ping(connection.remotePeer, count: count)
                for (index, rtt) in rtts.enumerated() {
                    say("ping \(index + 1): \(NetworkCommand.milliseconds(rtt)) ms")
                }
            }
        }
    }
}

/// What the dialing commands share.
enum NetworkCommand {
    static func parse(_ text: String) throws -> Multiaddr {
        do {
            return try Multiaddr(parsing: text)
        } catch {
            throw ValidationError("\(text): \(error)")
        }
    }

    /// Runs `body` with a running host using `identity`, else the node's identity (or a
    /// throwaway one), then shuts it down.
    static func withHost(_ dial: DialOptions, identity: Identity? = nil, _ body: (P2PHost) async throws -> Void) async throws {
        var logger = Logger(label: "agora.cli")
        logger.logLevel = .error
        var configuration = HostConfiguration()
        configuration.dialTimeout = .seconds(Int64(dial.timeout))
        configuration.upgrade.timeout = .seconds(Int64(dial.timeout))
        try await withRunningHost(P2PHost(identity: try identity ?? NodeIdentity.existingOrEphemeral(), configuration: configuration, logger: logger), body)
    }

    static func milliseconds(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let ms = Double(seconds) * 1000 + Double(attoseconds) / 1e15
        return String(format: "%.3f", ms)
    }
}

/// How long the dialing commands wait for a peer: a loaded or distant peer may need longer
/// than the default to finish the TCP connect and the Noise + yamux upgrade.
struct DialOptions: ParsableArguments {
    @Option(help: "Seconds to wait for the connection and its upgrade (1–600).")
    var timeout: Int = 10

    func validate() throws {
        guard (1...600).contains(timeout) else { throw ValidationError("--timeout must be between 1 and 600 seconds") }
    }
}
