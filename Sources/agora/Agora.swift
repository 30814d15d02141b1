import ArgumentParser

@main
struct Agora: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agora",
        abstract: "A peer-to-peer package registry: signed event log, local index, libp2p network.",
        discussion: Exit.help,
        version: "0.1.0",
        subcommands: [
            InitCommand.self, PublishCommand.self, SearchCommand.self, InfoCommand.self, InstallCommand.self,
            YankCommand.self, LogCommand.self, VerifyCommand.self, CompactCommand.self, KeysCommand.self, TrustCommand.self,
            ServeCommand.self, StatusCommand.self, PeersCommand.self, IDCommand.self, PingCommand.self, IdentifyCommand.self,
            DHTCommand.self,
        ]
    )
}
