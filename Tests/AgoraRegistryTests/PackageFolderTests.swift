import AgoraCore
import Foundation
import Testing
@testable import AgoraRegistry

@Suite struct PackageFolderTests {
    func packError(_ folder: URL, _ parameters: PackageFolderParameters = .init(), limits: ZipLimits = ZipLimits()) -> PackageFolderError? {
        do {
            _ = try PackageFolder.pack(folder, parameters: parameters, limits: limits)
            return nil
        } catch {
            return error
        }
    }

    @Test func packsAnAgoraFolder() throws {
        let packed = try PackageFolder.pack(TemporaryDirectory.examples.appendingPathComponent("json-kit"))
        #expect(packed.kind == .agora)
        #expect(packed.manifest.package.key == "acme/json-kit")
        #expect(packed.manifest.version == SemanticVersion(1, 0, 0))
        let contents = try SourceArchive.unpack(packed.archive)
        #expect(contents.root == "json-kit")
        #expect(contents.files.map(\.path) == [
            "README.md", "agora.json", "include/json_kit.h", "src/escape.c", "src/number.c", "tools/build.sh",
        ])
        #expect(contents.files.first { $0.path == "tools/build.sh" }?.isExecutable == true)
        #expect(contents.files.first { $0.path == "src/escape.c" }?.isExecutable == false)
        #expect(packed.fileCount == 6)
    }

    @Test func readsDependencies() throws {
        let packed = try PackageFolder.pack(TemporaryDirectory.examples.appendingPathComponent("http-client"))
        let range = try #require(packed.manifest.dependencies[try PackageIdentity(parsing: "acme/json-kit")])
        #expect(range.text == "^1.0.0")
    }

    @Test func sameSourcesGiveIdenticalBytes() throws {
        let scratch = try TemporaryDirectory()
        let first = try scratch.copyExample("json-kit", as: "one/json-kit")
        let second = try scratch.copyExample("json-kit", as: "two/json-kit")
        let old = Date(timeIntervalSince1970: 1_000_000)
        for relative in ["README.md", "src/escape.c", "tools/build.sh"] {
            try FileManager.default.setAttributes([.modificationDate: old], ofItemAtPath: second.appendingPathComponent(relative).path)
        }
        // Build and VCS state never reaches the archive.
        try FileManager.default.createDirectory(at: second.appendingPathComponent(".git"), withIntermediateDirectories: true)
        try Data("ref".utf8).write(to: second.appendingPathComponent(".git/HEAD"))
        try FileManager.default.createDirectory(at: second.appendingPathComponent("src/.build"), withIntermediateDirectories: true)
        try Data([0]).write(to: second.appendingPathComponent(".DS_Store"))
        let a = try PackageFolder.pack(first)
        let b = try PackageFolder.pack(second)
        #expect(a.archive == b.archive)
        #expect(try PackageFolder.pack(first).archive == a.archive)
    }

    @Test func packsASwiftPackageWithParameters() throws {
        let folder = TemporaryDirectory.examples.appendingPathComponent("swift-greeter")
        let packed = try PackageFolder.pack(folder, parameters: .init(scope: "mona", version: "1.0.0"))
        #expect(packed.kind == .swiftPackage)
        #expect(packed.manifest.package.description == "mona/SwiftGreeter")
        #expect(packed.manifest.manifest.description.hasPrefix("A minimal Swift library"))
        #expect(packed.manifest.manifest.authors == ["Mona Example <mona@example.com>"])
        #expect(packed.manifest.manifest.license == "https://www.apache.org/licenses/LICENSE-2.0")
        let contents = try SourceArchive.unpack(packed.archive)
        #expect(contents.root == "SwiftGreeter")
        #expect(contents.files.contains { $0.path == "Package.swift" })
        #expect(contents.files.contains { $0.path == "Sources/Greeter/Greeter.swift" })
    }

    @Test func swiftPackageNeedsScopeAndVersion() {
        let folder = TemporaryDirectory.examples.appendingPathComponent("swift-greeter")
        #expect(packError(folder, .init(version: "1.0.0")) == .missingParameter(
            field: "scope", hint: "a Swift package needs one given on the command line (--scope)"))
        guard case .missingParameter(let field, _)? = packError(folder, .init(scope: "mona")) else {
            Issue.record("missing version accepted")
            return
        }
        #expect(field == "version")
        guard case .invalidManifest(let error)? = packError(folder, .init(scope: "mona", version: "1.0")) else {
            Issue.record("invalid version accepted")
            return
        }
        #expect(error.issues.map(\.field) == ["version"])
    }

    @Test func swiftPackageNameFallsBackToTheFolderName() throws {
        let scratch = try TemporaryDirectory()
        try scratch.write("tiny-lib/Package.swift", "// swift-tools-version: 5.9\nimport PackageDescription\nlet package = makePackage()\n")
        try scratch.write("tiny-lib/Sources/Tiny/Tiny.swift", "public let tiny = 1\n")
        let packed = try PackageFolder.pack(scratch.url.appendingPathComponent("tiny-lib"), parameters: .init(scope: "x", version: "0.1.0"))
        #expect(packed.manifest.package.name == "tiny-lib")
        #expect(PackageFolder.declaredPackageName(in: "let package = Package(\n    name: \"Fancy\",\n") == "Fancy")
    }

    @Test func reportsMalformedPackageMetadata() throws {
        let scratch = try TemporaryDirectory()
        let folder = try scratch.copyExample("swift-greeter")
        try scratch.write("swift-greeter/package-metadata.json", #"{"author": {"email": "x@y"}}"#)
        guard case .manifest(let error)? = packError(folder, .init(scope: "mona", version: "1.0.0")) else {
            Issue.record("malformed metadata accepted")
            return
        }
        #expect(error.file.hasSuffix("swift-greeter/package-metadata.json"))
        #expect(error.problem == #"missing field "author.name""#)
    }

    @Test func parametersMustAgreeWithTheManifest() {
        let folder = TemporaryDirectory.examples.appendingPathComponent("json-kit")
        #expect(packError(folder, .init(version: "2.0.0")) == .conflictingParameter(field: "version", inFolder: "1.0.0", given: "2.0.0"))
        #expect((try? PackageFolder.pack(folder, parameters: .init(scope: "acme", version: "1.0.0"))) != nil)
    }

    @Test func reportsManifestProblemsWithTheFile() throws {
        let scratch = try TemporaryDirectory()
        try scratch.write("broken/agora.json", "{\"scope\": \"acme\", \"name\": ")
        guard case .manifest(let decode)? = packError(scratch.url.appendingPathComponent("broken")) else {
            Issue.record("malformed JSON accepted")
            return
        }
        #expect(decode.file.hasSuffix("broken/agora.json"))
        #expect(decode.problem.hasPrefix("not valid JSON"))

        try scratch.write("missing/agora.json", #"{"scope": "acme", "name": "x"}"#)
        #expect(packError(scratch.url.appendingPathComponent("missing"))?.description.hasSuffix(#"missing field "version""#) == true)

        try scratch.write("badname/agora.json", #"{"scope": "acme", "name": "bad name", "version": "1.0.0"}"#)
        guard case .invalidManifest(let invalid)? = packError(scratch.url.appendingPathComponent("badname")) else {
            Issue.record("bad name accepted")
            return
        }
        #expect(invalid.issues.map(\.field) == ["name"])

        try FileManager.default.createDirectory(at: scratch.url.appendingPathComponent("empty"), withIntermediateDirectories: true)
        guard case .noManifest? = packError(scratch.url.appendingPathComponent("empty")) else {
            Issue.record("folder without a manifest accepted")
            return
        }
        guard case .notADirectory? = packError(scratch.url.appendingPathComponent("nowhere")) else {
            Issue.record("missing folder accepted")
            return
        }
    }

    @Test func refusesLinksOutsideTheFolder() throws {
        let scratch = try TemporaryDirectory()
        let folder = try scratch.copyExample("json-kit")
        try scratch.write("secret.txt", "do not publish")
        try FileManager.default.createSymbolicLink(
            atPath: folder.appendingPathComponent("leak.txt").path, withDestinationPath: "../secret.txt")
        guard case .linkOutsideFolder(let path, let target)? = packError(folder) else {
            Issue.record("outside link accepted")
            return
        }
        #expect(path.hasSuffix("json-kit/leak.txt"))
        #expect(target == "../secret.txt")
    }

    @Test func storesInsideLinksAsFiles() throws {
        let scratch = try TemporaryDirectory()
        let folder = try scratch.copyExample("json-kit")
        try FileManager.default.createSymbolicLink(
            atPath: folder.appendingPathComponent("LICENSE-LINK").path, withDestinationPath: "README.md")
        let contents = try SourceArchive.unpack(try PackageFolder.pack(folder).archive)
        let readme = contents.files.first { $0.path == "README.md" }
        let link = contents.files.first { $0.path == "LICENSE-LINK" }
        #expect(link != nil && link?.data == readme?.data)
    }

    @Test func refusesOversizeContent() throws {
        let folder = TemporaryDirectory.examples.appendingPathComponent("json-kit")
        var limits = ZipLimits()
        limits.maxTotalSize = 1000
        #expect(packError(folder, limits: limits) == .archive(.totalTooLarge(limit: 1000)))
        limits = ZipLimits()
        limits.maxArchiveSize = 1500
        guard case .archive(.archiveTooLarge(_, let limit))? = packError(folder, limits: limits) else {
            Issue.record("oversize archive accepted")
            return
        }
        #expect(limit == 1500)
        limits = ZipLimits()
        limits.maxEntries = 3
        #expect(packError(folder, limits: limits) == .archive(.tooManyEntries(count: 4, limit: 3)))
    }
}
