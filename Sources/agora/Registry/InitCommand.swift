import AgoraRegistry
import ArgumentParser

struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init", abstract: "Create the Agora home: the store and an ed25519 identity.",
        discussion: "Safe to run again: an existing identity and store are kept.")

    @OptionGroup var options: HomeOptions

    func run() throws {
        try reportingFailures {
            let result = try Registry.initialize(home: options.home, writerLock: options.writerLock)
            if options.json {
                try JSONOutput.print(["home": result.home.url.path, "publicKey": result.publicKey.hex, "created": "\(result.created)"])
            } else {
                say(result.created ? "Initialised \(result.home.url.path)" : "Already initialised: \(result.home.url.path)")
                say("identity  \(result.publicKey.hex)")
            }
        }
    }
}
