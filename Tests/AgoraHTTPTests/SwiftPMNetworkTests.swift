import AgoraCore
import AgoraHTTP
import AgoraRegistry
import AgoraStore
import AgoraTestSupport
import Foundation
import Testing

/// The real SwiftPM client (`swift package-registry`, `swift package resolve`, `swift build`)
/// against a running node. Every SwiftPM path (configuration, security, cache, HOME for the
/// netrc `login` writes) is under the test's temporary directory, so nothing global changes.
@Suite struct SwiftPMNetworkTests {
    struct SwiftPMPaths {
        let root: TemporaryDirectory
        var config: String { root.url.appendingPathComponent("config").path }
        var security: String { root.url.appendingPathComponent("security").path }
        var cache: String { root.url.appendingPathComponent("cache").path }
        var home: String { root.url.appendingPathComponent("home").path }
        var options: [String] { ["--config-path", config, "--security-path", security, "--cache-path", cache] }
        var environment: [String: String] { ["HOME": home] }

        var scratch: String { root.url.appendingPathComponent("scratch").path }

        init() throws {
            root = try TemporaryDirectory()
            for folder in [home, scratch] { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
        }

        /// A library package folder ready for `swift package-registry publish`.
        func library(greeting: String, at name: String) throws -> URL {
            for (path, text) in Fixtures.library(greeting: greeting) { try root.write(name + "/" + path, text) }
            try root.write(name + "/package-metadata.json", #"{"description":"Greets","author":{"name":"Mona"}}"#)
            return root.url.appendingPathComponent(name)
        }

        /// A package depending on `acme.Greeter` from 1.0.0 (or on `dependency`, whose product
        /// lives in package `productPackage`), with `url` set as its registry.
        func consumer(
            of url: String, dependency: String = #".package(id: "acme.Greeter", from: "1.0.0")"#, productPackage: String = "acme.Greeter"
        ) async throws -> URL {
            try root.write("Consumer/Package.swift", """
                // swift-tools-version:5.9
                import PackageDescription

                let package = Package(
                    name: "Consumer",
                    dependencies: [\(dependency)],
                    targets: [.executableTarget(name: "Consumer", dependencies: [.product(name: "Greeter", package: "\(productPackage)")])]
                )

                """)
            try root.write("Consumer/Sources/Consumer/main.swift", "import Greeter\nprint(greeting())\n")
            let consumer = root.url.appendingPathComponent("Consumer")
            let set = try await Subprocess.run(
                Subprocess.swift, ["package-registry", "set", url, "--allow-insecure-http"] + options, in: consumer, environment: environment)
            #expect(set.status == 0, "\(set)")
            return consumer
        }
    }

    @Test func publishWithSwiftPMThenResolveAndBuildAConsumer() async throws {
        let paths = try SwiftPMPaths()
        let library = try paths.library(greeting: "hello from agora", at: "Greeter")
        try await TestNode.with { node in
            let url = "http://127.0.0.1:\(node.port)"
            let published = try await Subprocess.run(
                Subprocess.swift,
                ["package-registry", "publish", "acme.Greeter", "1.0.0", "--url", url, "--allow-insecure-http",
                 "--scratch-directory", paths.scratch] + paths.options,
                in: library, environment: paths.environment)
            #expect(published.status == 0, "\(published)")
            let info = try node.registry.info(PackageIdentity(scope: "acme", name: "Greeter"))
            let release = try #require(info.releases.first)
            #expect(release.version == "1.0.0")
            #expect(release.manifest?.description == "Greets")
            // The stored archive is the one SwiftPM sent: deflated, as its archiver writes it.
            let digest = try #require(BlobDigest(hex: release.digest))
            let stored = try #require(try node.registry.store.blob(digest))
            #expect(try ZipReader.read(stored).contains { $0.path.hasSuffix("Package.swift") })

            let consumer = try await paths.consumer(of: url)
            let resolved = try await Subprocess.run(
                Subprocess.swift, ["package", "resolve"] + paths.options, in: consumer, environment: paths.environment)
            #expect(resolved.status == 0, "\(resolved)")
            let built = try await Subprocess.run(
                Subprocess.swift, ["build"] + paths.options, in: consumer, environment: paths.environment)
            #expect(built.status == 0, "\(built)")
            let ran = try await Subprocess.run(consumer.appendingPathComponent(".build/debug/Consumer").path, [])
            #expect(ran.output == "hello from agora\n", "\(ran)")
            // SwiftPM pinned the checksum the node serves (trust on first use).
            let fingerprints = try String(contentsOfFile: paths.security + "/fingerprints/acme.Greeter.json", encoding: .utf8)
            #expect(fingerprints.contains(release.digest))
        }
    }

    /// A consumer that names the package by its git URL resolves it from the node with
    /// `--replace-scm-with-registry`: SwiftPM asks `/identifiers?url=` and gets the identity
    /// the publisher declared in `repositoryURLs`. No git host is reachable here, so success
    /// means the registry answered.
    @Test func gitURLDependencyResolvesThroughIdentifiers() async throws {
        let paths = try SwiftPMPaths()
        let library = try paths.library(greeting: "from a url", at: "Greeter")
        try paths.root.write("Greeter/package-metadata.json", #"{"description":"Greets","repositoryURLs":["https://github.com/agora-example/Greeter"]}"#)
        try await TestNode.with { node in
            let url = "http://127.0.0.1:\(node.port)"
            let published = try await Subprocess.run(
                Subprocess.swift,
                ["package-registry", "publish", "acme.Greeter", "1.0.0", "--url", url, "--allow-insecure-http",
                 "--scratch-directory", paths.scratch] + paths.options,
                in: library, environment: paths.environment)
            #expect(published.status == 0, "\(published)")
            let consumer = try await paths.consumer(
                of: url, dependency: #".package(url: "git@github.com:agora-example/Greeter.git", from: "1.0.0")"#, productPackage: "Greeter")
            let resolved = try await Subprocess.run(
                Subprocess.swift, ["package", "resolve", "--replace-scm-with-registry"] + paths.options,
                in: consumer, environment: paths.environment, timeout: .seconds(300))
            #expect(resolved.status == 0, "\(resolved)")
            let pins = (try? String(contentsOf: consumer.appendingPathComponent("Package.resolved"), encoding: .utf8)) ?? ""
            #expect(pins.contains("\"identity\" : \"acme.Greeter\"") && pins.contains("\"kind\" : \"registry\""), "\(pins)")
        }
    }

    /// `publish --private-key-path --cert-chain-paths`: the node keeps SwiftPM's signature, and
    /// a consumer that refuses unsigned packages and trusts only the test's root resolves it,
    /// so the signature came back intact.
    @Test func signedPublishResolvesWithSignatureChecks() async throws {
        let paths = try SwiftPMPaths()
        let signer = try await SignedReleaseNetworkTests.Signer.make()
        let library = try paths.library(greeting: "signed", at: "Greeter")
        try await TestNode.with { node in
            let url = "http://127.0.0.1:\(node.port)"
            let published = try await Subprocess.run(
                Subprocess.swift,
                ["package-registry", "publish", "acme.Greeter", "1.0.0", "--url", url, "--allow-insecure-http",
                 "--scratch-directory", paths.scratch, "--private-key-path", signer.key, "--cert-chain-paths"] + signer.chain + paths.options,
                in: library, environment: paths.environment)
            #expect(published.status == 0, "\(published)")
            let body = try SignedReleaseNetworkTests.recorded(node.registry, "1.0.0")
            #expect(body.signatureFormat == "cms-1.0.0" && !body.archiveSignature.isEmpty && !body.metadataSignature.isEmpty)

            let consumer = try await paths.consumer(of: url)
            let configuration = consumer.appendingPathComponent(".swiftpm/configuration/registries.json")
            var registries = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: configuration)) as? [String: Any])
            registries["security"] = ["default": ["signing": [
                "onUnsigned": "error", "onUntrustedCertificate": "error", "trustedRootCertificatesPath": signer.roots,
                "includeDefaultTrustedRootCertificates": false,
                "validationChecks": ["certificateExpiration": "disabled", "certificateRevocation": "disabled"],
            ]]]
            try JSONSerialization.data(withJSONObject: registries).write(to: configuration)
            let resolved = try await Subprocess.run(
                Subprocess.swift, ["package", "resolve"] + paths.options, in: consumer, environment: paths.environment)
            #expect(resolved.status == 0, "\(resolved)")
        }
    }
}
