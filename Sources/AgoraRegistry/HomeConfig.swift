import AgoraStore
import Foundation

/// `$AGORA_HOME/config.json`: settings a home keeps between runs, all optional. Today one:
/// `archive_cache_bytes`, the archive cache's budget for `agora serve` without `--mirror` (a
/// number of bytes or a string such as "512MiB"; `--cache-budget` overrides it).
public struct HomeConfig: Sendable, Equatable {
    public static let fileName = "config.json"
    public static let defaultArchiveCacheBytes: UInt64 = 1 << 30
    /// 1 PiB: any larger budget is a typo, not a disk.
    public static let maxArchiveCacheBytes: UInt64 = 1 << 50

    public var archiveCacheBytes: UInt64?

    public init(archiveCacheBytes: UInt64? = nil) {
        self.archiveCacheBytes = archiveCacheBytes
    }

    public var archiveCacheBudget: UInt64 { archiveCacheBytes ?? Self.defaultArchiveCacheBytes }

    /// The archive cache budget while no daemon runs: none for a store last served as a
    /// mirror, else the home's config (a daemon's `--cache-budget` holds for that daemon only).
    public static func budgetWithoutDaemon(store: Store, home: AgoraHome) throws -> UInt64? {
        try store.servedAsMirror() ? nil : load(home: home).archiveCacheBudget
    }

    /// The home's settings; defaults when there is no file. A file that does not parse, or
    /// holds a value out of range, is an error naming it (at most 64 KiB is read).
    public static func load(home: AgoraHome) throws -> HomeConfig {
        let url = home.url.appendingPathComponent(fileName)
        guard let handle = try? FileHandle(forReadingFrom: url) else { return HomeConfig() }
        defer { try? handle.close() }
        let data = (try? handle.read(upToCount: 64 << 10)) ?? Data()
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw RegistryError("\(url.path) is not a JSON object", code: .invalidInput)
        }
        var config = HomeConfig()
        if let value = object["archive_cache_bytes"] {
            let text = (value as? String) ?? (value as? NSNumber).map { "\($0)" } ?? ""
            guard let bytes = ByteSize.parse(text), bytes <= maxArchiveCacheBytes else {
                throw RegistryError(
                    "\(url.path): archive_cache_bytes must be a size up to 1PiB (bytes, or e.g. \"512MiB\", \"2GiB\")", code: .invalidInput)
            }
            config.archiveCacheBytes = bytes
        }
        return config
    }
}

/// Sizes as people write them: `1048576`, `512KiB`, `64MiB`, `2GiB`, `1TiB` (binary), or
/// `KB`/`MB`/`GB`/`TB` (decimal). Overflow and anything else is nil.
public enum ByteSize {
    public static func parse(_ text: String) -> UInt64? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let digits = trimmed.prefix { $0.isASCII && $0.isNumber }
        guard !digits.isEmpty, digits.count <= 20, let number = UInt64(digits) else { return nil }
        let units: [String: UInt64] = [
            "": 1, "B": 1, "KIB": 1 << 10, "MIB": 1 << 20, "GIB": 1 << 30, "TIB": 1 << 40,
            "KB": 1_000, "MB": 1_000_000, "GB": 1_000_000_000, "TB": 1_000_000_000_000,
        ]
        let unit = trimmed.dropFirst(digits.count).trimmingCharacters(in: .whitespaces).uppercased()
        guard let scale = units[unit] else { return nil }
        let (bytes, overflow) = number.multipliedReportingOverflow(by: scale)
        return overflow ? nil : bytes
    }
}
