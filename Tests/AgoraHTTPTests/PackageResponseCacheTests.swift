import AgoraCore
import Hummingbird
import Testing

@testable import AgoraHTTP
@testable import AgoraRegistry

/// `PackageResponseCache` driven by seeded random traffic: packages, store versions (some
/// changing the package, most not), variants and response sizes, checked against a plain
/// model of what each answer must be, with the bounds checked after every step.
@Suite struct PackageResponseCacheTests {
    static func info(_ package: String, releases: Int) -> PackageInfo {
        PackageInfo(
            package: package, latest: nil, contested: false, claimants: [], pinned: nil, hiddenReleases: 0,
            releases: (0..<releases).map { index in
                PackageInfo.Release(
                    version: "1.0.\(index)", author: "", principal: "", digest: "", size: 0, event: "", yanked: false,
                    yankReason: nil, manifest: nil)
            })
    }

    @Test(arguments: [1, 2, 3, 4, 5] as [UInt64])
    func answersMatchTheCurrentPackageAndBoundsHold(seed: UInt64) throws {
        var random = SplitMix64(seed: seed)
        let cache = PackageResponseCache(maxPackages: 8, maxResponsesPerPackage: 4, maxBytes: 64 * 1024)
        let packages = (0..<12).map { "acme/p\($0)" }
        var releases = Dictionary(uniqueKeysWithValues: packages.map { ($0, 1) })
        var storeVersion = 1
        var loads = 0
        for _ in 0..<4000 {
            if random.next() % 50 == 0 {
                storeVersion += 1
                // One commit in three changes a package; the others touch something else.
                if random.next() % 3 == 0 { releases[packages[Int(random.next() % 12)]]! += 1 }
            }
            let packageIndex = Int(random.next() % 12)
            let package = packages[packageIndex]
            let snapshot = try cache.snapshot(key: package, version: storeVersion) {
                loads += 1
                return Self.info(package, releases: releases[package]!)
            }
            #expect(snapshot.info.releases.count == releases[package], "a stale snapshot of \(package)")
            let variantNumber = Int(random.next() % 6)
            let variant = "v\(variantNumber)"
            // One package, variant and content always render the same bytes, as real answers do;
            // sizes (below the per-response cap of maxBytes / 16) overflow the byte bound together.
            let size = (packageIndex * 7_919 + variantNumber * 3_001 + snapshot.info.releases.count * 977) % 4_000
            let body = "\(package) \(variant) \(snapshot.info.releases.count) " + String(repeating: "x", count: size)
            let response = try cache.response(key: package, variant: variant, snapshot: snapshot) {
                (Response(status: .ok, body: ResponseBody(byteBuffer: ByteBuffer(string: body))), body.utf8.count)
            }
            #expect(response.body.contentLength == body.utf8.count)
            cache.state.withLock { state in
                #expect(state.entries.count <= 8)
                #expect(state.bytes <= 64 * 1024)
                #expect(state.bytes == state.entries.values.reduce(0) { $0 + $1.bytes })
                #expect(state.entries.values.allSatisfy { $0.responses.count <= 4 })
            }
        }
        // Between commits a package is read once (evictions aside), not on every request.
        #expect(loads < 4000 / 2, "\(loads) loads")
    }

    /// A cached answer is the one rendered for the same snapshot: rendering again only after
    /// the package changed.
    @Test func renderRunsOncePerSnapshotAndVariant() throws {
        let cache = PackageResponseCache()
        var renders = 0
        func get(version: Int, releases: Int) throws -> Response {
            let snapshot = try cache.snapshot(key: "acme/p", version: version) { Self.info("acme/p", releases: releases) }
            return try cache.response(key: "acme/p", variant: "list", snapshot: snapshot) {
                renders += 1
                return (Response(status: .ok, body: ResponseBody(byteBuffer: ByteBuffer(string: "\(releases)"))), 1)
            }
        }
        _ = try get(version: 1, releases: 1)
        _ = try get(version: 1, releases: 1)
        _ = try get(version: 2, releases: 1)
        #expect(renders == 1)
        _ = try get(version: 3, releases: 2)
        #expect(renders == 2)
        #expect(throws: RegistryError.self) {
            try cache.snapshot(key: "acme/none", version: 3) { throw RegistryError("no package", code: .notFound) }
        }
        #expect(cache.state.withLock { $0.entries.count } == 1)
    }
}
