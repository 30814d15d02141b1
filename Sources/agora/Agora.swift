import ArgumentParser

@main
struct Agora: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agora",
        abstract: "A peer-to-peer package registry: signed event log, local index, libp2p network.",
        version: "0.1.0",
        subcommands: [ServeCommand.self, IDCommand.self, PingCommand.self, IdentifyCommand.self]
    )
}
