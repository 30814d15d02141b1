import Foundation
import Testing

/// `agora install` into a folder people also use: never destroys what agora did not put
/// there, survives a kill at every step, and keeps every entry under concurrent installs.
@Suite struct InstallProcessTests {
    static let steps = ["install.verified", "install.locked-entries", "install.staged", "install.moved-aside", "install.swapped"]

    /// A home with acme/app 1.0.0 and 2.0.0 depending on acme/lib.
    func published(_ scratch: Scratch) throws -> AgoraRunner {
        let agora = scratch.agora
        try agora.ok("init")
        try agora.ok("publish", try scratch.package("lib1", name: "lib", version: "1.0.0", files: ["lib.txt": "lib one"]).path)
        try agora.ok("publish", try scratch.package("app1", name: "app", version: "1.0.0", dependencies: ["acme/lib": "^1.0.0"], files: ["app.txt": "app one"]).path)
        try agora.ok("publish", try scratch.package("app2", name: "app", version: "2.0.0", dependencies: ["acme/lib": "^1.0.0"], files: ["app.txt": "app two"]).path)
        return agora
    }

    func lockedPackages(_ folder: URL) throws -> [String: String] {
        let data = try Data(contentsOf: folder.appendingPathComponent("agora.lock"))
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["pending"] == nil)
        let packages = try #require(object["packages"] as? [[String: Any]])
        return Dictionary(uniqueKeysWithValues: packages.map { ($0["package"] as! String, $0["version"] as! String) })
    }

    func leftovers(_ scratch: Scratch, _ folder: URL) -> [String] {
        scratch.listing(folder).filter { $0.contains(".partial-") || $0.contains(".old-") || $0.contains(".tmp-") }
    }

    @Test func aFolderAgoraDidNotInstallIsNeverReplaced() throws {
        let scratch = try Scratch()
        let agora = try published(scratch)
        let folder = scratch.url.appendingPathComponent("deps")
        let mine = folder.appendingPathComponent("acme/lib")
        try FileManager.default.createDirectory(at: mine, withIntermediateDirectories: true)
        try Data("my work".utf8).write(to: mine.appendingPathComponent("notes.txt"))
        let refused = try agora.run("install", "acme/app@1.0.0", "--to", folder.path)
        #expect(refused.status == 1)
        #expect(refused.err.contains("agora did not install it"))
        #expect(scratch.listing(folder).filter { $0 != ".agora-install.lock" } == ["acme", "acme/lib", "acme/lib/notes.txt"])

        // A file or a link in the way is refused too, even when the lockfile names the package.
        try FileManager.default.removeItem(at: mine)
        try FileManager.default.createSymbolicLink(at: mine, withDestinationURL: scratch.url.appendingPathComponent("app1"))
        #expect(try agora.run("install", "acme/app@1.0.0", "--to", folder.path).status == 1)
        #expect(FileManager.default.fileExists(atPath: scratch.url.appendingPathComponent("app1/agora.json").path))

        // What agora installed, it may replace.
        try FileManager.default.removeItem(at: mine)
        try agora.ok("install", "acme/app@1.0.0", "--to", folder.path)
        try agora.ok("install", "acme/app@2.0.0", "--to", folder.path)
        #expect(try String(contentsOf: folder.appendingPathComponent("acme/app/app.txt"), encoding: .utf8) == "app two")
    }

    @Test(arguments: steps)
    func killedInstallLeavesNothingBehind(step: String) throws {
        let scratch = try Scratch()
        let agora = try published(scratch)
        let folder = scratch.url.appendingPathComponent("deps")
        try agora.ok("install", "acme/app@1.0.0", "--to", folder.path)
        let killed = try agora.run("install", "acme/app@2.0.0", "--to", folder.path, crashAt: step)
        #expect(killed.status == 86, "\(step): \(killed.err)")
        try agora.ok("install", "acme/app@2.0.0", "--to", folder.path)
        #expect(leftovers(scratch, folder).isEmpty, "\(step): \(leftovers(scratch, folder))")
        #expect(try lockedPackages(folder) == ["acme/app": "2.0.0", "acme/lib": "1.0.0"])
        #expect(try String(contentsOf: folder.appendingPathComponent("acme/app/app.txt"), encoding: .utf8) == "app two")
        #expect(try String(contentsOf: folder.appendingPathComponent("acme/lib/lib.txt"), encoding: .utf8) == "lib one")
    }

    /// A kill during a first install leaves folders the lockfile claims as pending, so the
    /// retry may replace them instead of refusing them as the user's.
    @Test(arguments: steps.prefix(3))
    func killedFirstInstallCanBeRetried(step: String) throws {
        let scratch = try Scratch()
        let agora = try published(scratch)
        let folder = scratch.url.appendingPathComponent("deps")
        #expect(try agora.run("install", "acme/app@1.0.0", "--to", folder.path, crashAt: step).status == 86)
        try agora.ok("install", "acme/app@1.0.0", "--to", folder.path)
        #expect(leftovers(scratch, folder).isEmpty)
        #expect(try lockedPackages(folder) == ["acme/app": "1.0.0", "acme/lib": "1.0.0"])
    }

    @Test func concurrentInstallsIntoOneFolderKeepEveryEntry() throws {
        let scratch = try Scratch()
        let agora = scratch.agora
        try agora.ok("init")
        let names = (0..<8).map { "pkg\($0)" }
        for name in names {
            try agora.ok("publish", try scratch.package(name, name: name, version: "1.0.0", files: ["\(name).txt": name]).path)
        }
        let folder = scratch.url.appendingPathComponent("deps")
        let started = try names.map { try agora.start(["install", "acme/\($0)", "--to", folder.path]) }
        let results = started.map(AgoraRunner.finish)
        #expect(results.allSatisfy { $0.status == 0 }, "\(results.map(\.err))")
        #expect(try lockedPackages(folder) == Dictionary(uniqueKeysWithValues: names.map { ("acme/\($0)", "1.0.0") }))
        for name in names {
            #expect(try String(contentsOf: folder.appendingPathComponent("acme/\(name)/\(name).txt"), encoding: .utf8) == name)
        }
        #expect(leftovers(scratch, folder).isEmpty)
    }
}
