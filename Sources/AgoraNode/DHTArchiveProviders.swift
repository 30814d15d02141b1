import AgoraCore
import AgoraStore
import AgoraWire

/// Archive holders from the DHT. Nodes announce packages, not archives (see
/// docs/DESIGN-NOTES.md, "Install and sync through the DHT"), so a digest is first mapped to
/// the package whose signed release names it, read from the local log; the package's
/// providers are then looked up and returned with their addresses. A provider holds some
/// archive of the package, perhaps not this one: asking it costs one manifest request.
public struct DHTArchiveProviders: ArchiveProviderSource {
    let dht: DHTNodeProtocol
    let index: ReleaseDigestIndex
    /// How long a query waits for the DHT's first bootstrap before answering with nothing.
    let joinTimeout: Duration

    public init(dht: DHTNodeProtocol, store: Store, joinTimeout: Duration = .seconds(30)) {
        self.dht = dht
        index = ReleaseDigestIndex(store: store)
        self.joinTimeout = joinTimeout
    }

    public func providers(of digest: BlobDigest, limit: Int) async -> [Multiaddr] {
        guard limit > 0, let package = await index.package(of: digest), await dht.joined(within: joinTimeout) else { return [] }
        var found: [Multiaddr] = []
        for provider in await dht.findProviders(scope: package.scope, name: package.name, count: limit) {
            found += provider.addresses.map { $0.withPeerID(provider.peer) }
        }
        return found
    }
}

/// Archive digest → the package of the release that names it, read from the log as far as it
/// has grown whenever a digest is not known yet. One entry per release in the log (the log
/// is the bound); the first release naming a digest wins.
actor ReleaseDigestIndex {
    struct Package: Sendable, Equatable {
        var scope: String
        var name: String
    }

    private let store: Store
    private var packages: [BlobDigest: Package] = [:]
    private var scanned: UInt64 = 0
    static let page = 1000

    init(store: Store) {
        self.store = store
    }

    func package(of digest: BlobDigest) -> Package? {
        if let known = packages[digest] { return known }
        do {
            while true {
                let entries = try store.events(since: scanned, limit: Self.page)
                guard let last = entries.last else { break }
                for entry in entries {
                    guard entry.event.kind == .releasePublished, case .releasePublished(let release)? = try? entry.event.decodedBody(),
                          let named = BlobDigest(bytes: release.archiveDigest), packages[named] == nil
                    else { continue }
                    packages[named] = Package(scope: release.scope, name: release.name)
                }
                scanned = last.localSeq
            }
        } catch {
            return nil
        }
        return packages[digest]
    }
}
