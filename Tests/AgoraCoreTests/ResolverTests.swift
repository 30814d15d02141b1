import Testing
@testable import AgoraCore

@Suite struct ResolverTests {
    func key(_ text: String) -> PackageIdentity { try! PackageIdentity(parsing: text) }
    func v(_ text: String) -> SemanticVersion { try! SemanticVersion(parsing: text) }
    func r(_ text: String) -> VersionRange { try! VersionRange(parsing: text) }

    /// A registry described compactly: "scope/name" → version → dependencies.
    struct Catalog {
        var packages: [PackageIdentity: [ResolverCandidate]] = [:]
        var lookups = 0

        mutating func add(_ name: String, _ version: String, yanked: Bool = false, _ dependencies: [String: String] = [:]) {
            let candidate = ResolverCandidate(
                version: try! SemanticVersion(parsing: version),
                dependencies: Dictionary(uniqueKeysWithValues: dependencies.map {
                    (try! PackageIdentity(parsing: $0.key), try! VersionRange(parsing: $0.value))
                }),
                isYanked: yanked)
            packages[try! PackageIdentity(parsing: name), default: []].append(candidate)
        }
    }

    func resolve(_ catalog: Catalog, _ root: [String: String], resolver: Resolver = Resolver()) throws(ResolutionError) -> [String: String] {
        let rootRanges = Dictionary(uniqueKeysWithValues: root.map { (key($0.key), r($0.value)) })
        let result = try resolver.resolve(rootRanges) { catalog.packages[$0] }
        return Dictionary(uniqueKeysWithValues: result.map { ($0.key.key, $0.value.description) })
    }

    @Test func picksHighestVersionsTransitively() throws {
        var catalog = Catalog()
        catalog.add("acme/http", "1.0.0", ["acme/json": "^1.0.0"])
        catalog.add("acme/http", "1.1.0", ["acme/json": "^1.2.0", "acme/log": "~0.3"])
        catalog.add("acme/http", "2.0.0-beta.1", ["acme/json": "^2.0.0"])
        catalog.add("acme/json", "1.0.0")
        catalog.add("acme/json", "1.2.5")
        catalog.add("acme/json", "1.3.0")
        catalog.add("acme/json", "2.0.0")
        catalog.add("acme/log", "0.3.1")
        catalog.add("acme/log", "0.4.0")
        let result = try resolve(catalog, ["acme/http": "^1.0.0"])
        #expect(result == ["acme/http": "1.1.0", "acme/json": "1.3.0", "acme/log": "0.3.1"])
    }

    @Test func backtracksWhenTheHighestVersionConflicts() throws {
        var catalog = Catalog()
        // app needs json ^1; web 2.0.0 needs json ^2, so web must fall back to 1.5.0.
        catalog.add("acme/web", "2.0.0", ["acme/json": "^2.0.0"])
        catalog.add("acme/web", "1.5.0", ["acme/json": "^1.1.0"])
        catalog.add("acme/web", "1.0.0", ["acme/json": "^1.0.0"])
        catalog.add("acme/json", "1.0.0")
        catalog.add("acme/json", "1.4.0")
        catalog.add("acme/json", "2.1.0")
        let result = try resolve(catalog, ["acme/web": "*", "acme/json": "^1.0.0"])
        #expect(result == ["acme/web": "1.5.0", "acme/json": "1.4.0"])
    }

    @Test func backtracksThroughADecisionMadeEarlier() throws {
        var catalog = Catalog()
        // a is decided first (fewest candidates); a 2.0.0 pulls c ^2 but b only works with c ^1.
        catalog.add("x/a", "2.0.0", ["x/c": "^2.0.0"])
        catalog.add("x/a", "1.0.0", ["x/c": "^1.0.0"])
        catalog.add("x/b", "1.0.0", ["x/c": "^1.0.0"])
        catalog.add("x/b", "1.1.0", ["x/c": "^1.0.0"])
        catalog.add("x/b", "1.2.0", ["x/c": "^1.0.0"])
        catalog.add("x/c", "1.0.0")
        catalog.add("x/c", "2.0.0")
        let result = try resolve(catalog, ["x/a": "*", "x/b": "*"])
        #expect(result == ["x/a": "1.0.0", "x/b": "1.2.0", "x/c": "1.0.0"])
    }

    @Test func reportsTheClashingRanges() {
        var catalog = Catalog()
        catalog.add("acme/web", "1.0.0", ["acme/json": "^2.0.0"])
        catalog.add("acme/json", "1.0.0")
        catalog.add("acme/json", "2.0.0")
        #expect {
            try resolve(catalog, ["acme/web": "^1.0.0", "acme/json": "^1.0.0"])
        } throws: { error in
            guard case .conflict(let package, let requirements, let available, _) = error as? ResolutionError else { return false }
            let text = (error as! ResolutionError).description
            return package.key == "acme/json"
                && Set(requirements.map(\.range.text)) == ["^1.0.0", "^2.0.0"]
                && requirements.contains { $0.requirer == .package(key("acme/web"), v("1.0.0")) }
                && requirements.contains { $0.requirer == .root }
                && Set(available) == [v("1.0.0"), v("2.0.0")]
                && text.contains("acme/web 1.0.0") && text.contains("the request")
        }
    }

    @Test func reportsAMissingPackageAndWhoNeedsIt() {
        var catalog = Catalog()
        catalog.add("acme/web", "1.0.0", ["acme/ghost": "^1.0.0"])
        #expect(throws: ResolutionError.missingPackage(
            key("acme/ghost"),
            requiredBy: [Requirement(requirer: .package(key("acme/web"), v("1.0.0")), range: r("^1.0.0"))])) {
            try resolve(catalog, ["acme/web": "*"])
        }
        #expect(throws: ResolutionError.self) { try resolve(Catalog(), ["acme/none": "*"]) }
    }

    @Test func avoidsAVersionWhoseDependencyIsMissing() throws {
        var catalog = Catalog()
        catalog.add("acme/web", "2.0.0", ["acme/ghost": "^1.0.0"])
        catalog.add("acme/web", "1.0.0")
        #expect(try resolve(catalog, ["acme/web": "*"]) == ["acme/web": "1.0.0"])
    }

    @Test func skipsYankedUnlessPinnedExactly() throws {
        var catalog = Catalog()
        catalog.add("acme/json", "1.0.0")
        catalog.add("acme/json", "1.1.0", yanked: true)
        #expect(try resolve(catalog, ["acme/json": "^1.0.0"]) == ["acme/json": "1.0.0"])
        #expect(try resolve(catalog, ["acme/json": "=1.1.0"]) == ["acme/json": "1.1.0"])
        #expect {
            try resolve(catalog, ["acme/json": "^1.1.0"])
        } throws: { error in
            guard case .conflict(_, _, _, let yanked) = error as? ResolutionError else { return false }
            return yanked == [v("1.1.0")] && (error as! ResolutionError).description.contains("yanked")
        }
    }

    @Test func handlesDependencyCycles() throws {
        var catalog = Catalog()
        catalog.add("x/a", "1.0.0", ["x/b": "^1.0.0"])
        catalog.add("x/b", "1.0.0", ["x/a": "^1.0.0"])
        catalog.add("x/b", "1.1.0", ["x/a": "^2.0.0"])
        #expect(try resolve(catalog, ["x/a": "*"]) == ["x/a": "1.0.0", "x/b": "1.0.0"])
        var selfish = Catalog()
        selfish.add("x/s", "1.0.0", ["x/s": "^2.0.0"])
        #expect(throws: ResolutionError.self) { try resolve(selfish, ["x/s": "*"]) }
    }

    @Test func boundsTheSearch() {
        // z/d is decided last (most candidates) and every version of it needs a missing package,
        // so a naive search retries it under each of the 4^10 combinations of the b packages.
        var catalog = Catalog()
        var root: [String: String] = ["z/d": "*"]
        for index in 0..<10 {
            for minor in 0..<4 { catalog.add("z/b\(index)", "1.\(minor).0") }
            root["z/b\(index)"] = "*"
        }
        for minor in 0..<5 { catalog.add("z/d", "1.\(minor).0", ["z/ghost": "*"]) }
        #expect(throws: ResolutionError.tooManySteps(limit: 500)) {
            try resolve(catalog, root, resolver: Resolver(maxSteps: 500))
        }
        #expect(throws: ResolutionError.tooManyPackages(limit: 3)) {
            try resolve(catalog, root, resolver: Resolver(maxPackages: 3))
        }
    }

    @Test func wrapsProviderFailures() {
        struct Offline: Error {}
        #expect {
            try Resolver().resolve([key("a/b"): .any]) { _ in throw Offline() }
        } throws: { error in
            if case .providerFailed(let package, _) = error as? ResolutionError { return package.key == "a/b" }
            return false
        }
    }
}
