import AgoraCore
import AgoraRegistry
import ArgumentParser

struct YankCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "yank", abstract: "Sign a yank: the release stays installable by exact pin but drops out of resolution and search.")

    @OptionGroup var options: HomeOptions

    @Argument(help: "scope/name@version")
    var release: String

    @Option(help: "Why, shown to everyone who looks the release up.")
    var reason = ""

    func run() throws {
        try reportingFailures {
            guard let at = release.lastIndex(of: "@") else {
                throw RegistryError("expected scope/name@version, got \(release)")
            }
            let package: PackageIdentity
            let version: SemanticVersion
            do {
                package = try PackageIdentity(parsing: String(release[..<at]))
                version = try SemanticVersion(parsing: String(release[release.index(after: at)...]))
            } catch {
                throw RegistryError("\(error)")
            }
            let result = try options.openRegistry().yank(package, version: version.description, reason: reason)
            if options.json {
                try JSONOutput.print(result)
            } else {
                say("Yanked \(result.package) \(result.version)\(result.reason.isEmpty ? "" : ": \(result.reason)")  (event \(result.event.prefix(16)))")
            }
        }
    }
}
