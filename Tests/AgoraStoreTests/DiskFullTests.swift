import Foundation
import AgoraMigrations
import AgoraTestSupport
import Testing
@testable import AgoraStore

/// A tiny tmpfs, so "disk full" is real rather than simulated. Mounting needs root and
/// CAP_SYS_ADMIN; where either is missing the test is disabled (probed once).
final class TinyFileSystem {
    static let mountTool = ["/usr/bin/mount", "/bin/mount"].first { FileManager.default.isExecutableFile(atPath: $0) }
    static let umountTool = ["/usr/bin/umount", "/bin/umount"].first { FileManager.default.isExecutableFile(atPath: $0) }

    static let available: Bool = {
        guard geteuid() == 0, mountTool != nil, umountTool != nil else { return false }
        return (try? TinyFileSystem(megabytes: 1)) != nil
    }()

    let url: URL

    init(megabytes: Int) throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("agora-tinyfs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        guard Self.run(Self.mountTool!, ["-t", "tmpfs", "-o", "size=\(megabytes)m", "tmpfs", url.path]) else {
            try? FileManager.default.removeItem(at: url)
            throw StoreError.corrupt("cannot mount a tmpfs")
        }
    }

    deinit {
        _ = Self.run(Self.umountTool!, [url.path])
        try? FileManager.default.removeItem(at: url)
    }

    private static func run(_ tool: String, _ arguments: [String]) -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }
}

@Suite struct DiskFullTests {
    @Test(.enabled(if: TinyFileSystem.available, "needs root and permission to mount a tmpfs"))
    func diskFullIsAClearErrorAndCommittedDataSurvives() throws {
        let disk = try TinyFileSystem(megabytes: 4)
        let home = disk.url
        var generator = SeededGenerator(seed: 42)
        var stored: [BlobDigest] = []
        var failure: StoreError?
        do {
            let store = try Store(
                home: home, migrations: AgoraMigrations.all, views: TestViews(),
                configuration: EnvironmentConfiguration(initialMapSize: 1 << 20))
            for _ in 0..<20 where failure == nil {
                let bytes = (0..<(512 << 10)).map { _ in UInt8.random(in: 0...255, using: &generator) }
                do {
                    stored.append(try store.putBlob(bytes))
                } catch let error as StoreError {
                    failure = error
                }
            }
        }
        guard case .diskFull(let path, _)? = failure else {
            Issue.record("expected a disk-full error, got \(String(describing: failure))")
            return
        }
        #expect(path.hasPrefix(home.path))
        #expect(failure?.description.contains("disk full") == true)
        #expect(stored.count >= 2)
        let reopened = try Store(home: home, migrations: AgoraMigrations.all, views: TestViews())
        for digest in stored { #expect(try reopened.blob(digest)?.count == 512 << 10) }
        #expect(try reopened.verify(deep: true).ok)
    }
}
