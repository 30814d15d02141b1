import AgoraRegistry
import ArgumentParser
import Foundation

struct PublishCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "publish",
        abstract: "Pack a package folder, store its archive and sign a release event.",
        discussion: """
            The folder holds an agora.json manifest, or is a Swift package (Package.swift, optional \
            package-metadata.json) published with --scope and --version. Versions are immutable: the same \
            bytes again is a no-op, different bytes are refused.
            """)

    @OptionGroup var options: HomeOptions

    @Argument(help: "The package folder.")
    var folder: String

    @Option(help: "Scope, for folders whose manifest does not name one.")
    var scope: String?

    @Option(help: "Package name, overriding the Swift package's name.")
    var name: String?

    @Option(help: "Semver version, for folders whose manifest does not say it.")
    var version: String?

    func run() throws {
        try reportingFailures {
            let registry = try options.openRegistry()
            let clock = ContinuousClock()
            let start = clock.now
            let result = try registry.publish(
                folder: URL(fileURLWithPath: folder, isDirectory: true),
                parameters: PackageFolderParameters(scope: scope, name: name, version: version))
            let elapsed = clock.now - start
            if options.json {
                try JSONOutput.print(result)
            } else if result.alreadyPublished {
                say("\(result.package) \(result.version) is already published with these exact bytes (sha256 \(result.digest))")
            } else {
                say("Published \(result.package) \(result.version)  (\(result.files) files, \(result.size) bytes, \(elapsed.milliseconds) ms)")
                say("  sha256  \(result.digest)")
                say("  event   \(result.event)  (feed seq \(result.seq))")
            }
        }
    }
}

extension Duration {
    var milliseconds: String {
        let (seconds, attoseconds) = components
        let ms = Double(seconds) * 1000 + Double(attoseconds) / 1e15
        return ms < 10 ? String(format: "%.2f", ms) : String(format: "%.0f", ms)
    }
}
