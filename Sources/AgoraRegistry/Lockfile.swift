import Foundation

/// `agora.lock` in an install folder: exactly what was installed and the signed facts it was
/// checked against, so a later install or an auditor can reproduce and re-verify it.
public struct Lockfile: Codable, Sendable, Equatable {
    public static let fileName = "agora.lock"
    public static let currentFormat = 1

    public struct Entry: Codable, Sendable, Equatable {
        public var package: String
        public var version: String
        /// SHA-256 of the archive, hex, as signed in the release event.
        public var digest: String
        public var author: String
        public var event: String
        public var dependencies: [String: String]

        public init(package: String, version: String, digest: String, author: String, event: String, dependencies: [String: String]) {
            self.package = package
            self.version = version
            self.digest = digest
            self.author = author
            self.event = event
            self.dependencies = dependencies
        }
    }

    public var format: Int
    public var packages: [Entry]

    public init(packages: [Entry] = []) {
        self.format = Self.currentFormat
        self.packages = packages
    }

    /// Entries for the same package are replaced; the list stays sorted so the file diffs cleanly.
    public mutating func record(_ entry: Entry) {
        packages.removeAll { $0.package.lowercased() == entry.package.lowercased() }
        packages.append(entry)
        packages.sort { $0.package.lowercased() < $1.package.lowercased() }
    }

    public static func read(in directory: URL) throws -> Lockfile {
        let url = directory.appendingPathComponent(fileName)
        guard let data = FileManager.default.contents(atPath: url.path) else { return Lockfile() }
        do {
            let lockfile = try JSONDecoder().decode(Lockfile.self, from: data)
            guard lockfile.format <= currentFormat else {
                throw RegistryError("\(url.path) has format \(lockfile.format), newer than this agora understands (\(currentFormat))")
            }
            return lockfile
        } catch let error as RegistryError {
            throw error
        } catch {
            throw RegistryError("\(url.path) is not a valid lockfile: \(error)")
        }
    }

    /// Written to a temporary file and renamed, so an interrupted install never leaves half a lockfile.
    public func write(in directory: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        let url = directory.appendingPathComponent(Self.fileName)
        try encoder.encode(self).write(to: url, options: .atomic)
    }
}
