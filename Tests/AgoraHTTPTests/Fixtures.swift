import AgoraCore
import AgoraTestSupport
import Foundation

/// Source archives for publish tests.
enum Fixtures {
    static let manifest = """
        // swift-tools-version:5.9
        import PackageDescription

        let package = Package(
            name: "Greeter",
            products: [.library(name: "Greeter", targets: ["Greeter"])],
            targets: [.target(name: "Greeter")]
        )

        """

    static func library(greeting: String) -> [String: String] {
        [
            "Package.swift": manifest,
            "Package@swift-5.9.swift": manifest.replacingOccurrences(of: "swift-tools-version:5.9", with: "swift-tools-version:5.9.0"),
            "Sources/Greeter/Greeter.swift": "public func greeting() -> String { \"\(greeting)\" }\n",
        ]
    }

    /// A deflated archive with one top directory, written by Info-ZIP as SwiftPM does on Linux.
    static func zip(_ files: [String: String], root: String = "Greeter") throws -> [UInt8] {
        let folder = try TemporaryDirectory()
        for (path, text) in files { try folder.write(root + "/" + path, text) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/zip")
        process.currentDirectoryURL = folder.url
        process.arguments = ["-q", "-r", "-9", "out.zip", root]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw RawHTTP.Failure(description: "zip exited \(process.terminationStatus)") }
        return Array(try Data(contentsOf: folder.url.appendingPathComponent("out.zip")))
    }

    /// A stored archive whose entry `Greeter/../evil.swift` climbs out of its folder: written
    /// as `Greeter/aa/evil.swift` and renamed in place, since no writer of ours emits `..`.
    static func escaping() throws -> [UInt8] {
        try HostileZip.renaming("Greeter/aa/evil", to: "Greeter/../evil", in: [
            ZipEntry(path: "Greeter/Package.swift", data: Array(manifest.utf8)),
            ZipEntry(path: "Greeter/aa/evil.swift", data: Array("x".utf8)),
        ])
    }

    static func sha256(_ bytes: [UInt8]) -> String { EventID(hashing: bytes).hex }
}
