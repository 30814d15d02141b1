import AgoraCore
import AgoraRegistry
import AgoraStore
import Synchronization

/// Repository URL → packages whose releases declare it, for `GET /identifiers?url=`.
///
/// Built from the log (release events carry the signed manifest with its `repositoryURLs`)
/// and brought up to date before each lookup when the store changed, so releases written by
/// other processes or received from peers count at once. It only nominates candidates: a
/// lookup then asks the registry, which applies pins in contested scopes, whether a release
/// it shows still declares the URL. Bounded: at most `maxPairs` (URL, package) pairs.
final class RepositoryIndex: Sendable {
    struct State {
        var packages: [String: Set<PackageIdentity>] = [:]
        var pairs = 0
        var scannedThrough: UInt64 = 0
        var checkedAt = -1
    }

    let registry: Registry
    let maxPairs: Int
    let state = Mutex(State())
    static let pageSize = 2000

    init(registry: Registry, maxPairs: Int = 1_000_000) {
        self.registry = registry
        self.maxPairs = maxPairs
    }

    /// `scope.name` identifiers for the repository `url`, sorted; empty when none.
    func identifiers(for url: String) throws -> [String] {
        guard let wanted = RepositoryURL.canonical(url) else { return [] }
        try catchUp()
        let candidates = state.withLock { $0.packages[wanted] ?? [] }
        var identifiers: [String] = []
        for package in candidates.sorted(by: { $0.description < $1.description }) {
            guard let info = try? registry.info(package),
                  info.releases.contains(where: { release in
                      release.manifest?.repositoryURLs.contains { RepositoryURL.canonical($0) == wanted } == true
                  })
            else { continue }
            identifiers.append(info.package.replacingOccurrences(of: "/", with: "."))
        }
        return identifiers
    }

    /// Folds release events the index has not seen; skipped when no commit happened since.
    func catchUp() throws {
        let storeVersion = registry.store.environment.lastCommittedTransaction
        guard state.withLock({ $0.checkedAt != storeVersion }) else { return }
        var position = state.withLock { $0.scannedThrough }
        while true {
            let page = try registry.store.events(since: position, limit: Self.pageSize)
            var found: [(String, PackageIdentity)] = []
            for entry in page {
                guard case .releasePublished(let body)? = try? entry.event.decodedBody(),
                      body.manifest.contains(Self.fieldMarker),
                      let manifest = try? Manifest.decode(json: body.manifest),
                      let package = try? PackageIdentity(scope: body.scope, name: body.name)
                else { continue }
                for url in manifest.repositoryURLs {
                    if let canonical = RepositoryURL.canonical(url) { found.append((canonical, package)) }
                }
            }
            let last = page.last?.localSeq ?? position
            state.withLock { state in
                for (url, package) in found where state.pairs < maxPairs {
                    if state.packages[url, default: []].insert(package).inserted { state.pairs += 1 }
                }
                state.scannedThrough = max(state.scannedThrough, last)
            }
            position = last
            if page.count < Self.pageSize { break }
        }
        state.withLock { $0.checkedAt = storeVersion }
    }

    /// Manifests without the field are skipped before JSON decoding.
    static let fieldMarker = Array("\"repositoryURLs\"".utf8)
}
