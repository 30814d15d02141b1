import AgoraCore
import AgoraRegistry
import ArgumentParser
import Foundation

struct InstallCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "install",
        abstract: "Resolve, verify and unpack a package and its dependencies; record them in agora.lock.",
        discussion: """
            Picks the highest version matching the range (^1.2, ~1.2.3, >=1 <2, 1.x, exact) from the \
            scope's trusted key, checks each archive's SHA-256 against its signed release event and \
            unpacks it into DIR/<scope>/<name>.
            """)

    @OptionGroup var options: HomeOptions

    @Argument(help: "scope/name or scope/name@range")
    var request: String

    @Option(name: .customLong("to"), help: "Install folder (default: ./agora_packages).")
    var directory = "agora_packages"

    func run() throws {
        try reportingFailures {
            let parsed: PackageRequest
            do { parsed = try PackageRequest(parsing: request) } catch { throw RegistryError("\(error)") }
            let clock = ContinuousClock()
            let start = clock.now
            let result = try options.openRegistry().install(parsed, into: URL(fileURLWithPath: directory, isDirectory: true))
            let elapsed = clock.now - start
            if options.json {
                try JSONOutput.print(result)
                return
            }
            var table = Table("PACKAGE", "VERSION", "FILES", "SHA-256", "PATH")
            for item in result.installed {
                table.add(item.package, item.version, "\(item.files)", String(item.digest.prefix(16)), item.path)
            }
            say(table.render())
            say("Installed \(result.installed.count) package\(result.installed.count == 1 ? "" : "s"), digests verified, in \(elapsed.milliseconds) ms; lockfile \(result.directory)/agora.lock")
        }
    }
}
