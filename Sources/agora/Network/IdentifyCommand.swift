import AgoraWire
import ArgumentParser
import Foundation

struct IdentifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "identify",
        abstract: "Dial a libp2p peer and show what it says about itself (peer ID, agent, protocols, addresses).",
        aliases: ["connect"]
    )

    @Argument(help: "The peer's multiaddr, e.g. /ip4/127.0.0.1/tcp/4001/p2p/12D3KooW…")
    var address: String

    @Flag(help: "Print JSON.")
    var json = false

    @OptionGroup var dial: DialOptions

    func run() async throws {
        let target = try NetworkCommand.parse(address)
        try await reportingFailures {
            try await NetworkCommand.withHost(dial) { host in
                let connection = try await host.connect(to: target)
                let info = try await host.identify(connection.remotePeer)
                if json {
                    let object: [String: Any] = [
                        "peer_id": info.peer.base58,
                        "agent_version": info.agentVersion ?? "",
                        "protocol_version": info.protocolVersion ?? "",
                        "protocols": info.protocols,
                        "listen_addrs": info.listenAddrs.map { "\($0)" },
                        "observed_addr": info.observedAddr.map { "\($0)" } ?? "",
                    ]
                    let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
                    JSONOutput.printRaw(data)
                } else {
                    say("peer:      \(info.peer)")
                    say("agent:     \(info.agentVersion ?? "-")")
                    say("protocol:  \(info.protocolVersion ?? "-")")
                    say("addresses: \(info.listenAddrs.map { "\($0)" }.joined(separator: " "))")
                    say("observed:  \(info.observedAddr.map { "\($0)" } ?? "-")")
                    say("protocols:")
                    for name in info.protocols { say("  \(name)") }
                }
            }
        }
    }
}
