import AgoraCore
import AgoraStore
import AgoraViews
import Foundation
@testable import AgoraRegistry

/// A fresh Agora home in a temporary folder, removed when the test's scope ends.
final class TemporaryHome {
    let root: URL
    let home: AgoraHome

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("agora-registry-\(UUID().uuidString)")
        home = AgoraHome(url: root.appendingPathComponent("home"))
        _ = try Registry.initialize(home: home)
    }

    func registry() throws -> Registry { try Registry(home: home) }

    func folder(_ name: String) -> URL { root.appendingPathComponent(name, isDirectory: true) }

    deinit { try? FileManager.default.removeItem(at: root) }
}

enum Examples {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("examples")

    static func url(_ name: String) -> URL { root.appendingPathComponent(name, isDirectory: true) }

    /// A writable copy of an example, for tests that change files.
    static func copy(_ name: String, to destination: URL) throws -> URL {
        try FileManager.default.createDirectory(at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: url(name), to: destination)
        return destination
    }
}

/// Writes an agora.json package folder with one source file.
func makePackage(at folder: URL, scope: String, name: String, version: String, dependencies: [String: String] = [:], content: String = "hello") throws {
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let manifest = Manifest(scope: scope, name: name, version: version, description: "test package \(name)", keywords: ["test"], dependencies: dependencies)
    try Data(manifest.canonicalJSON()).write(to: folder.appendingPathComponent(Manifest.fileName))
    try Data(content.utf8).write(to: folder.appendingPathComponent("main.txt"))
}
