import Testing
@testable import AgoraRegistry

@Suite struct SwiftManifestDependenciesTests {
    @Test(arguments: [
        (#".package(id: "acme.json-kit", from: "1.2.0")"#, ["acme/json-kit": "^1.2.0"]),
        (#".package(id: "acme.json", .upToNextMajor(from: "2.0.0"))"#, ["acme/json": "^2.0.0"]),
        (#".package(id: "acme.json", .upToNextMinor(from: "2.1.0"))"#, ["acme/json": "~2.1.0"]),
        (#".package(id: "acme.json", exact: "1.0.0")"#, ["acme/json": "=1.0.0"]),
        (#".package(id: "acme.json", "1.0.0"..<"1.5.0")"#, ["acme/json": ">=1.0.0 <1.5.0"]),
        (#".package( id : "acme.json" , "1.0.0" ... "1.5.0" )"#, ["acme/json": ">=1.0.0 <=1.5.0"]),
        // Left out, never guessed: URLs, branches, variables, bad versions, bad identities.
        (#".package(url: "https://example.com/a.git", from: "1.0.0")"#, [:]),
        (#".package(id: "acme.json", branch: "main")"#, [:]),
        (#".package(id: "acme.json", from: version)"#, [:]),
        (#".package(id: "acme.json", from: "one")"#, [:]),
        (#".package(id: "nodot", from: "1.0.0")"#, [:]),
    ] as [(String, [String: String])])
    func readsRequirements(_ line: String, _ expected: [String: String]) {
        #expect(SwiftManifestDependencies.read("dependencies: [\n    \(line),\n]") == expected)
    }

    @Test func readsEveryRegistryDependencyOfAManifest() {
        let manifest = """
            // swift-tools-version:5.9
            import PackageDescription
            let package = Package(
                name: "App",
                dependencies: [
                    .package(id: "acme.json-kit", from: "1.2.0"),
                    .package(url: "https://example.com/x.git", from: "1.0.0"),
                    .package(id: "Mona.LinkedList", "1.0.0"..<"3.0.0"),
                ],
                targets: [.target(name: "App")]
            )
            """
        #expect(SwiftManifestDependencies.read(manifest) == ["acme/json-kit": "^1.2.0", "Mona/LinkedList": ">=1.0.0 <3.0.0"])
    }
}
