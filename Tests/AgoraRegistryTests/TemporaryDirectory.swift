import Foundation

/// A scratch directory removed when the test that made it ends.
final class TemporaryDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("agora-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(at: url)
    }

    func write(_ relative: String, _ text: String, executable: Bool = false) throws {
        let file = url.appendingPathComponent(relative)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: file)
        try FileManager.default.setAttributes([.posixPermissions: executable ? 0o755 : 0o644], ofItemAtPath: file.path)
    }

    /// The repository's `examples/` folder.
    static let examples = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("examples")

    /// A private copy of an example package, so tests can touch it freely.
    func copyExample(_ name: String, as folder: String? = nil) throws -> URL {
        let destination = url.appendingPathComponent(folder ?? name)
        try FileManager.default.copyItem(at: Self.examples.appendingPathComponent(name), to: destination)
        return destination
    }
}
