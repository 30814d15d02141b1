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
        for _ in 0..<4000 {
            if random.next() % 10 == 0 {
                storeVersion += 1
                // One commit in three changes a package; the others touch something else.
                if random.next() % 3 == 0 { releases[packages[Int(random.next() % 12)]]! += 1 }
            }
            let package = packages[Int(random.next() % 12)]
            let snapshot = try cache.snapshot(key: package, version: storeVersion) { Self.info(package, releases: releases[package]!) }
            #expect(snapshot.info.releases.count == releases[package], "a stale snapshot of \(package)")
            // An answer is a function of the package, the variant and the package's state, so a
            // cached one must be byte for byte what rendering now would give.
            let variantIndex = Int(random.next() % 6)
            let variant = "v\(variantIndex)"
            let size = variantIndex * 3000 + snapshot.info.releases.count * 7
            let body = "\(package) \(variant) \(snapshot.info.releases.count) " + String(repeating: "x", count: size)
            let response = try cache.response(key: package, variant: variant, snapshot: snapshot) {
                (Response(status: .ok, body: ResponseBody(byteBuffer: ByteBuffer(string: body))), body.utf8.count)
            }
            #expect(response.body.contentLength == body.utf8.count, "a stale or foreign answer for \(package) \(variant)")
            cache.state.withLock { state in
                #expect(state.entries.count <= 8)
                #expect(state.bytes <= 64 * 1024)
                #expect(state.bytes == state.entries.values.reduce(0) { $0 + $1.bytes })
                #expect(state.entries.values.allSatisfy { $0.responses.count <= 4 })
            }
        }
    }

    /// A cached answer is the one rendered for the same snapshot: rendering again only after
    /// the package changed.
    @Test func renderRunsOncePerSnapshotAndVariant() throws {
        let cache = PackageResponseCache()
        var renders = 0
        var loads = 0
        func get(version: Int, releases: Int) throws -> Response {
            let snapshot = try cache.snapshot(key: "acme/p", version: version) {
                loads += 1
                return Self.info("acme/p", releases: releases)
            }
            return try cache.response(key: "acme/p", variant: "list", snapshot: snapshot) {
                renders += 1
                return (Response(status: .ok, body: ResponseBody(byteBuffer: ByteBuffer(string: "\(releases)"))), 1)
            }
        }
        _ = try get(version: 1, releases: 1)
        _ = try get(version: 1, releases: 1)
        #expect(loads == 1, "an unchanged store is not read again")
        _ = try get(version: 2, releases: 1)
        #expect(renders == 1 && loads == 2, "a commit elsewhere rereads the package but keeps its answers")
        _ = try get(version: 3, releases: 2)
        #expect(renders == 2)
        #expect(throws: RegistryError.self) {
            try cache.snapshot(key: "acme/none", version: 3) { throw RegistryError("no package", code: .notFound) }
        }
        #expect(cache.state.withLock { $0.entries.count } == 1)
    }
}
