import AgoraCore
import AgoraStore
import AgoraViews
import Foundation
import Testing
@testable import AgoraRegistry

@Suite struct RegistryPublishInstallTests {
    @Test func publishSearchInstallRoundTrip() throws {
        let temp = try TemporaryHome()
        let registry = try temp.registry()
        let json = try registry.publish(folder: Examples.url("json-kit"))
        let http = try registry.publish(folder: Examples.url("http-client"))
        #expect(!json.alreadyPublished && !http.alreadyPublished)
        #expect(http.seq == 2)

        let hits = try registry.search("json-kit", filters: SearchFilters())
        #expect(hits.first?.summary.package.description == "acme/json-kit")
        #expect(hits.first?.tier == .exactName)

        let target = temp.folder("app")
        let result = try registry.install(try PackageRequest(parsing: "acme/http-client@^0.3"), into: target)
        #expect(result.installed.map(\.package).sorted() == ["acme/http-client", "acme/json-kit"])
        let installedManifest = try Data(contentsOf: target.appendingPathComponent("acme/json-kit/agora.json"))
        let originalManifest = try Data(contentsOf: Examples.url("json-kit").appendingPathComponent("agora.json"))
        #expect(installedManifest == originalManifest)

        let lockfile = try Lockfile.read(in: target)
        #expect(lockfile.packages.map(\.package) == ["acme/http-client", "acme/json-kit"])
        #expect(lockfile.packages.first { $0.package == "acme/json-kit" }?.digest == json.digest)
        #expect(lockfile.packages.allSatisfy { $0.author == registry.identity.publicKey.hex })
    }

    @Test func versionsAreImmutable() throws {
        let temp = try TemporaryHome()
        let registry = try temp.registry()
        let folder = temp.folder("pkg")
        try makePackage(at: folder, scope: "acme", name: "immutable", version: "1.0.0")
        let first = try registry.publish(folder: folder)
        let again = try registry.publish(folder: folder)
        #expect(again.alreadyPublished)
        #expect(again.event == first.event)
        #expect(try registry.store.lastLocalSeq() == 1)

        try Data("changed".utf8).write(to: folder.appendingPathComponent("main.txt"))
        #expect {
            try registry.publish(folder: folder)
        } throws: { error in
            (error as? RegistryError)?.code == .conflict && "\(error)".contains("immutable")
        }
        #expect(try registry.store.lastLocalSeq() == 1)
    }

    @Test func tamperedArchiveIsRefusedNamingTheDigests() throws {
        let temp = try TemporaryHome()
        let registry = try temp.registry()
        let folder = temp.folder("pkg")
        try makePackage(at: folder, scope: "acme", name: "tamper", version: "1.0.0", content: String(repeating: "x", count: 5000))
        let published = try registry.publish(folder: folder)
        let digest = try #require(Hex.decode(published.digest))
        try registry.store.environment.write { txn in
            #expect(try txn.get(registry.store.databases.blobChunks, key: digest + [0, 0, 0, 0]) != nil)
            let tampered = [0] + Array(repeating: UInt8(ascii: "y"), count: published.size)
            try txn.put(registry.store.databases.blobChunks, key: digest + [0, 0, 0, 0], value: tampered)
        }
        let target = temp.folder("app")
        #expect {
            try registry.install(try PackageRequest(parsing: "acme/tamper"), into: target)
        } throws: { error in
            (error as? RegistryError)?.code == .integrity && "\(error)".contains(String(published.digest.prefix(16)))
        }
        #expect(!FileManager.default.fileExists(atPath: target.appendingPathComponent("acme/tamper").path))
    }

    @Test func yankedReleasesLeaveResolutionButStayPinnable() throws {
        let temp = try TemporaryHome()
        let registry = try temp.registry()
        for version in ["1.0.0", "1.1.0"] {
            let folder = temp.folder("pkg-\(version)")
            try makePackage(at: folder, scope: "acme", name: "yanky", version: version, content: version)
            _ = try registry.publish(folder: folder)
        }
        _ = try registry.yank(try PackageIdentity(parsing: "acme/yanky"), version: "1.1.0", reason: "broken")
        let info = try registry.info(try PackageIdentity(parsing: "acme/yanky"))
        #expect(info.latest == "1.0.0")
        #expect(info.releases.first { $0.version == "1.1.0" }?.yankReason == "broken")

        let resolved = try registry.install(try PackageRequest(parsing: "acme/yanky@^1.0.0"), into: temp.folder("a"))
        #expect(resolved.installed.map(\.version) == ["1.0.0"])
        let pinned = try registry.install(try PackageRequest(parsing: "acme/yanky@=1.1.0"), into: temp.folder("b"))
        #expect(pinned.installed.map(\.version) == ["1.1.0"])
        #expect(try registry.search("yanky", filters: SearchFilters()).allSatisfy { $0.summary.version == "1.0.0" })
    }

    @Test func missingManifestFieldsAndBadRangesAreClearErrors() throws {
        let temp = try TemporaryHome()
        let registry = try temp.registry()
        let folder = temp.folder("bad")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try Data(#"{"scope":"acme","name":"bad"}"#.utf8).write(to: folder.appendingPathComponent("agora.json"))
        #expect { try registry.publish(folder: folder) } throws: { "\($0)".contains("version") }
        #expect(throws: (any Error).self) { try PackageRequest(parsing: "acme/x@^^1") }
        #expect(try registry.store.lastLocalSeq() == 0)
    }
}
