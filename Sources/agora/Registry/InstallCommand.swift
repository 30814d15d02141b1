import AgoraBlob
import AgoraCore
import AgoraNode
import AgoraRegistry
import AgoraStore
import AgoraWire
import ArgumentParser
import Foundation
import Logging

struct InstallCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "install",
        abstract: "Resolve, verify and unpack a package and its dependencies; record them in agora.lock.",
        discussion: """
            Picks the highest version matching the range (^1.2, ~1.2.3, >=1 <2, 1.x, exact) from the \
            scope's trusted key, checks each archive's SHA-256 against its signed release event and \
            unpacks it into DIR/<scope>/<name>. A package or archive this home lacks is fetched from \
            the network: the running daemon's peers, every peer met before and --bootstrap, and the \
            nodes the Kademlia DHT names as holders when none of those has it.
            """)

    @OptionGroup var options: HomeOptions

    @Argument(help: "scope/name or scope/name@range")
    var request: String

    @Option(name: .customLong("to"), help: "Install folder (default: ./agora_packages).")
    var directory = "agora_packages"

    @Option(name: .long, parsing: .upToNextOption, help: "Peers to ask besides the known ones (multiaddrs ending in /p2p/<id>).")
    var bootstrap: [String] = []

    @Option(help: "Seconds to allow for the network part (connecting, syncing, downloading).")
    var timeout: Double = 120

    func validate() throws {
        guard timeout.isFinite, timeout > 0, timeout <= 86_400 else { throw ValidationError("--timeout must be between 0 and 86400 seconds") }
    }

    func run() async throws {
        let peers = try bootstrap.map { try ServeCommand.parse($0, option: "--bootstrap") }
        try await reportingFailures {
            let parsed: PackageRequest
            do { parsed = try PackageRequest(parsing: request) } catch { throw RegistryError("\(error)") }
            let clock = ContinuousClock()
            let start = clock.now
            let registry = try options.openRegistry()
            let folder = URL(fileURLWithPath: directory, isDirectory: true)
            let needed: [NeededArchive]?
            do {
                // Pinned before anything is read or fetched, so a daemon's archive cache cannot
                // evict one of them before `install` has unpacked it.
                try registry.pinArchives(for: parsed, into: folder)
                needed = try registry.archivesNeeded(for: parsed)
            } catch let error as RegistryError where error.code == .notFound {
                needed = nil
            }
            var fetched = 0
            if needed != [] {
                fetched = try await fetch(parsed, known: needed, registry: registry, peers: peers, folder: folder)
            }
            let result = try registry.install(parsed, into: folder)
            // With no daemon up, nothing else keeps the archive cache within its budget; what this
            // folder now holds is pinned, so only archives nobody holds can go.
            if fetched > 0, NodeStatus.readLive(home: registry.home.url) == nil,
               let budget = try HomeConfig.budgetWithoutDaemon(store: registry.store, home: registry.home) {
                try registry.store.evictBlobs(toFit: budget)
            }
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
            let network = fetched == 0 ? "" : ", \(fetched) archive\(fetched == 1 ? "" : "s") fetched from peers"
            say("Installed \(result.installed.count) package\(result.installed.count == 1 ? "" : "s"), digests verified\(network), in \(elapsed.milliseconds) ms; lockfile \(result.directory)/agora.lock")
        }
    }

    /// Joins the network as a client for the duration (see docs/DESIGN-NOTES.md, "Install
    /// over the network"): syncs the log when the package is unknown here, then fetches the
    /// missing archives, four at a time. Returns how many archives were fetched.
    private func fetch(_ request: PackageRequest, known: [NeededArchive]?, registry: Registry, peers: [Multiaddr], folder: URL) async throws -> Int {
        let daemon = NodeStatus.readLive(home: registry.home.url)?.listen.compactMap { try? Multiaddr(parsing: $0) } ?? []
        let logger = {
            var logger = Logger(label: "agora.install")
            logger.logLevel = .error
            return logger
        }()
        let limit = Duration.milliseconds(Int64(timeout * 1000))
        let progress = DownloadProgress()
        defer { progress.finish() }
        let store = registry.store
        // Observations are signed with the home's node key, into the daemon's feed (the store
        // assigns each seq inside its write transaction), so they count for the daemon too.
        let reporter = (try? KeyFiles.nodeKey(home: registry.home, create: false)).flatMap { $0 }.map(ReputationSigner.key) ?? .none
        do {
            return try await withWireTimeout(limit, operation: "install over the network") {
                try await NetworkClient.with(
                    store: store, peers: daemon + peers, connectTimeout: min(limit, .seconds(15)), reporter: reporter,
                    reporterGuard: NodeFeedGuard(home: registry.home), logger: logger
                ) { client in
                    var needed = known
                    if needed == nil {
                        try await client.catchUp(within: min(limit, .seconds(30)))
                        // What nobody we reached knows (the package or a dependency): ask the DHT
                        // who holds it and sync from them.
                        _ = try await client.discoverUntilKnown(within: min(limit, .seconds(30))) {
                            try Self.unknownPackage(needed: request, registry: registry)
                        }
                        needed = try registry.archivesNeeded(for: request)
                    }
                    if known == nil { try registry.pinArchives(for: request, into: folder) }
                    let archives = needed ?? []
                    let labels = Dictionary(archives.map { ($0.digest, "\($0.package) \($0.version)") }) { first, _ in first }
                    do {
                        try await client.fetchAll(archives.map(\.digest)) { digest, done, total in
                            progress.update(labels[digest] ?? digest.hex, done: done, total: total)
                        }
                    } catch let error as BlobError {
                        throw Self.explain(error, archives: archives)
                    }
                    return archives.count
                }
            }
        } catch let error as WireTimeoutError {
            throw RegistryError("\(request.package): \(error.description); pass --timeout for more time", code: .notFound)
        } catch let error as NetworkClient.Failure {
            throw RegistryError("cannot fetch \(request.package): \(error)", code: .notFound)
        }
    }

    /// The package the log lacks for resolving `request`; nil when it resolves or fails otherwise.
    static func unknownPackage(needed request: PackageRequest, registry: Registry) throws -> (scope: String, name: String)? {
        do {
            _ = try registry.archivesNeeded(for: request)
            return nil
        } catch let error as RegistryError where error.code == .notFound {
            return error.unknownPackage.map { ($0.scope, $0.name) }
        }
    }

    private static func explain(_ error: BlobError, archives: [NeededArchive]) -> RegistryError {
        func label(_ digest: BlobDigest) -> String {
            let archive = archives.first { $0.digest == digest }
            return "\(archive.map { "\($0.package) \($0.version)" } ?? "an archive") (sha256 \(digest.hex))"
        }
        switch error {
        case .corrupt(let digest, let why):
            return RegistryError(
                "refusing \(label(digest)): every peer that offered it sent bytes that do not match the signed digest (\(why))",
                code: .integrity)
        case .noSources(let digest, let why):
            return RegistryError("no peer has the archive of \(label(digest)): \(why)", code: .notFound)
        case .malformed, .notFound:
            return RegistryError("cannot fetch an archive: \(error)", code: .notFound)
        }
    }
}
