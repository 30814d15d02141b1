import AgoraCore
import AgoraRegistry
import ArgumentParser

struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info", abstract: "Show every version of a package, its manifest, digests, keys and yanked state.")

    @OptionGroup var options: HomeOptions

    @Argument(help: "scope/name")
    var package: String

    func run() throws {
        try reportingFailures {
            let identity: PackageIdentity
            do { identity = try PackageIdentity(parsing: package) } catch { throw RegistryError("\(error)") }
            let info = try options.openRegistry().info(identity)
            if options.json {
                try JSONOutput.print(info)
                return
            }
            say("\(info.package)\(info.latest.map { "  latest \($0)" } ?? "  (every release yanked)")")
            if let manifest = info.releases.first?.manifest {
                if !manifest.description.isEmpty { say("\(manifest.description)") }
                if !manifest.keywords.isEmpty { say("keywords  \(manifest.keywords.joined(separator: ", "))") }
                if let license = manifest.license { say("license   \(license)") }
                if !manifest.authors.isEmpty { say("authors   \(manifest.authors.joined(separator: ", "))") }
                if !manifest.dependencies.isEmpty {
                    say("depends   \(manifest.dependencies.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))")
                }
            }
            if info.contested, let pinned = info.pinned {
                let hidden = info.hiddenReleases > 0
                    ? " (\(info.hiddenReleases) release\(info.hiddenReleases == 1 ? "" : "s") by other keys hidden)" : ""
                say("CONTESTED: \(info.claimants.count) keys claim this scope; showing only the pinned key \(pinned)\(hidden)")
            } else if info.contested {
                say("CONTESTED: \(info.claimants.count) keys claim this scope; pinned: none (install refuses until you run agora trust)")
            } else if let pinned = info.pinned {
                say("pinned    \(pinned)")
            }
            var table = Table("VERSION", "AUTHOR", "SHA-256", "SIZE", "STATE")
            for release in info.releases {
                let state = release.yanked ? "yanked" + (release.yankReason.map { ": \($0)" } ?? "") : "ok"
                table.add(release.version, String(release.author.prefix(16)), String(release.digest.prefix(16)), "\(release.size)", state)
            }
            say(table.render())
        }
    }
}
