import AgoraCore
import Foundation
import Synchronization

/// The `Package.swift` files of a release (the manifest and its `Package@swift-X.swift`
/// variants), read from its archive once and kept by archive digest: releases are immutable,
/// so an entry never goes stale. The cache is bounded by count and by bytes.
final class ManifestFiles: Sendable {
    struct Files: Sendable {
        /// File name → contents, top-level files of the archive only.
        let manifests: [String: [UInt8]]

        var byteCount: Int { manifests.values.reduce(0) { $0 + $1.count } }
    }

    struct Cache {
        var entries: [[UInt8]: Files] = [:]
        var order: [[UInt8]] = []
        var bytes = 0
    }

    let maxEntries: Int
    let maxBytes: Int
    let cache = Mutex(Cache())

    init(maxEntries: Int = 512, maxBytes: Int = 32 * 1024 * 1024) {
        self.maxEntries = maxEntries
        self.maxBytes = maxBytes
    }

    func files(digest: [UInt8], archive: () throws -> [UInt8], limits: ZipLimits) throws -> Files {
        if let hit = cache.withLock({ $0.entries[digest] }) { return hit }
        let contents = try SourceArchive.unpack(try archive(), limits: limits)
        var manifests: [String: [UInt8]] = [:]
        for file in contents.files where !file.path.contains("/") && Self.isManifestName(file.path) {
            manifests[file.path] = file.data
        }
        let files = Files(manifests: manifests)
        cache.withLock { cache in
            guard cache.entries[digest] == nil else { return }
            cache.entries[digest] = files
            cache.order.append(digest)
            cache.bytes += files.byteCount
            while cache.order.count > maxEntries || cache.bytes > maxBytes, !cache.order.isEmpty {
                let evicted = cache.order.removeFirst()
                cache.bytes -= cache.entries.removeValue(forKey: evicted)?.byteCount ?? 0
            }
        }
        return files
    }

    /// `Package.swift` or `Package@swift-N[.N[.N]].swift`, as the registry spec names them.
    static func isManifestName(_ name: String) -> Bool {
        name == "Package.swift" || swiftVersion(ofManifest: name) != nil
    }

    /// The `N.N` of `Package@swift-N.N.swift`.
    static func swiftVersion(ofManifest name: String) -> String? {
        guard name.hasPrefix("Package@swift-"), name.hasSuffix(".swift") else { return nil }
        let version = name.dropFirst("Package@swift-".count).dropLast(".swift".count)
        let parts = version.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...3).contains(parts.count), parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }) else {
            return nil
        }
        return String(version)
    }

    /// The tools version a manifest declares on its first line (`// swift-tools-version:5.9`).
    static func toolsVersion(of manifest: [UInt8]) -> String? {
        let firstLine = String(decoding: manifest.prefix(200).prefix { $0 != 10 }, as: UTF8.self)
        guard let range = firstLine.range(of: "swift-tools-version:") else { return nil }
        let version = firstLine[range.upperBound...].trimmingCharacters(in: .whitespaces)
            .prefix { $0.isNumber || $0 == "." }
        return version.isEmpty ? nil : String(version)
    }
}
