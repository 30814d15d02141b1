import AgoraCore
import AgoraTestSupport
import Foundation
import Testing
@testable import AgoraRegistry

@Suite struct ArchiveExtractorTests {
    func listing(_ folder: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
    }

    @Test func extractsAPackedFolder() throws {
        let scratch = try TemporaryDirectory()
        let packed = try PackageFolder.pack(TemporaryDirectory.examples.appendingPathComponent("json-kit"))
        let target = scratch.url.appendingPathComponent("out/acme/json-kit")
        let contents = try ArchiveExtractor.extract(packed.archive, to: target)
        #expect(contents.root == "json-kit")
        let original = try Data(contentsOf: TemporaryDirectory.examples.appendingPathComponent("json-kit/src/escape.c"))
        #expect(try Data(contentsOf: target.appendingPathComponent("src/escape.c")) == original)
        let script = try FileManager.default.attributesOfItem(atPath: target.appendingPathComponent("tools/build.sh").path)
        #expect((script[.posixPermissions] as? NSNumber)?.intValue == 0o755)
        let header = try FileManager.default.attributesOfItem(atPath: target.appendingPathComponent("include/json_kit.h").path)
        #expect((header[.posixPermissions] as? NSNumber)?.intValue == 0o644)
        #expect(try listing(target.deletingLastPathComponent()) == ["json-kit"])
        // Packing the extracted folder reproduces the archive byte for byte.
        #expect(try PackageFolder.pack(target).archive == packed.archive)
    }

    @Test func refusesAnExistingTargetUnlessReplacing() throws {
        let scratch = try TemporaryDirectory()
        let archive = try SourceArchive.pack(root: "p", files: [ZipEntry(path: "new.txt", data: Array("new".utf8))])
        try scratch.write("target/old.txt", "old")
        let target = scratch.url.appendingPathComponent("target")
        #expect(throws: ArchiveExtractionError.targetExists(target.path)) { try ArchiveExtractor.extract(archive, to: target) }
        #expect(try listing(target) == ["old.txt"])
        try ArchiveExtractor.extract(archive, to: target, replacingExisting: true)
        #expect(try listing(target) == ["new.txt"])
        #expect(try listing(scratch.url) == ["target"])
    }

    /// Rewrites an entry name in place (same length) to smuggle in a path the writer would refuse.
    func archive(renaming original: String, to hostile: String) throws -> [UInt8] {
        try HostileZip.renaming(original, to: hostile, in: [
            ZipEntry(path: "p/ok.txt", data: Array("fine".utf8)),
            ZipEntry(path: original, data: Array("evil".utf8)),
        ])
    }

    @Test(arguments: [("p/x/evil", "../evil"), ("p/aevil", "/p/evil"), ("p/q/evil", "p/../..")])
    func refusesTraversalAndLeavesNothingBehind(original: String, hostile: String) throws {
        let scratch = try TemporaryDirectory()
        let bytes = try archive(renaming: original, to: String(hostile.prefix(original.count)).padding(toLength: original.count, withPad: "x", startingAt: 0))
        let target = scratch.url.appendingPathComponent("target")
        #expect {
            try ArchiveExtractor.extract(bytes, to: target)
        } throws: { error in
            if case .archive(.unsafePath) = error as? ArchiveExtractionError { return true }
            return false
        }
        #expect(try listing(scratch.url).isEmpty)
    }

    @Test func corruptArchivesWriteNothing() throws {
        let scratch = try TemporaryDirectory()
        var bytes = try SourceArchive.pack(root: "p", files: [
            ZipEntry(path: "a.txt", data: Array("first".utf8)), ZipEntry(path: "b.txt", data: Array("second".utf8)),
        ])
        let target = scratch.url.appendingPathComponent("target")
        let truncated = Array(bytes.prefix(bytes.count - 10))
        #expect(throws: ArchiveExtractionError.self) { try ArchiveExtractor.extract(truncated, to: target) }
        bytes[30 + "p/a.txt".utf8.count] ^= 0x01
        #expect {
            try ArchiveExtractor.extract(bytes, to: target)
        } throws: { error in
            if case .archive(.checksumMismatch(let path, _, _)) = error as? ArchiveExtractionError { return path == "p/a.txt" }
            return false
        }
        #expect(try listing(scratch.url).isEmpty)
    }
}
