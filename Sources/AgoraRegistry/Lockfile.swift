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
    /// `scope/name` folders an install is replacing right now. Written before the first
    /// folder is touched and cleared with the new entries, so after a kill the folders are
    /// still known to be agora's (a later install may replace them; nothing else is).
    public var pending: [String]?

    public init(packages: [Entry] = [], pending: [String]? = nil) {
        self.format = Self.currentFormat
        self.packages = packages
        self.pending = pending
    }

    /// Whether agora put the folder of `package` (`scope/name`, any case) there.
    public func owns(_ package: String) -> Bool {
        let key = package.lowercased()
        return packages.contains { $0.package.lowercased() == key } || (pending ?? []).contains { $0.lowercased() == key }
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

    /// Written to a temporary file, fsynced and renamed, so an interrupted install never
    /// leaves half a lockfile; then read back, so a write that did not land is an error.
    public func write(in directory: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        let url = directory.appendingPathComponent(Self.fileName)
        try HomeFiles.write(Array(try encoder.encode(self)), to: url, placement: .replace, mode: 0o644)
        guard try Self.read(in: directory) == self else {
            throw RegistryError("\(url.path) does not read back as written", code: .storage)
        }
    }

    /// Runs `body` holding an exclusive lock on the install folder (`.agora-install.lock`), so
    /// concurrent installs into one folder take turns: each reads the lockfile the previous
    /// one wrote, and no entry is lost.
    public static func withLock<T>(in directory: URL, _ body: () throws -> T) throws -> T {
        let path = directory.appendingPathComponent(".agora-install.lock").path
        let descriptor = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw RegistryError("cannot open \(path): \(String(cString: strerror(errno)))", code: .storage)
        }
        defer { close(descriptor) }
        guard flock(descriptor, LOCK_EX) == 0 else {
            throw RegistryError("cannot lock \(path): \(String(cString: strerror(errno)))", code: .storage)
        }
        defer { flock(descriptor, LOCK_UN) }
        HomeFiles.removeStaleTemporaries(in: directory, of: fileName)
        return try body()
    }
}
