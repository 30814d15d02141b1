import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Durable, private files in the Agora home (keys, the feed head record), and the lockfile.
///
/// A file is written whole into a fresh temporary sibling created with `O_CREAT | O_EXCL` and
/// mode 0600 — so no other mode ever exists, not even for an instant — fsynced, then moved
/// into place and the directory fsynced. A kill leaves at most a temporary, which the next
/// writer removes under the home's writer lock (`removeStaleTemporaries`).
enum HomeFiles {
    enum Placement {
        /// Rename over whatever is there.
        case replace
        /// Hard-link into place; fails with `EEXIST` when the name exists, so of several
        /// processes creating the same file exactly one wins.
        case createOnly
    }

    static let temporaryMarker = ".tmp-"

    /// Writes `bytes` to `url`; returns false when `.createOnly` found the name taken.
    @discardableResult
    static func write(_ bytes: [UInt8], to url: URL, placement: Placement, mode: mode_t = 0o600) throws -> Bool {
        let directory = url.deletingLastPathComponent()
        let temporary = directory.appendingPathComponent(
            ".\(url.lastPathComponent)\(temporaryMarker)\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        let descriptor = open(temporary.path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, mode)
        guard descriptor >= 0 else { throw failure("cannot create", temporary) }
        var closed = false
        defer {
            if !closed { close(descriptor) }
            unlink(temporary.path)
        }
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            if written < 0, errno == EINTR { continue }
            guard written > 0 else { throw failure("cannot write", temporary) }
            offset += written
        }
        guard fsync(descriptor) == 0 else { throw failure("cannot fsync", temporary) }
        closed = true
        guard close(descriptor) == 0 else { throw failure("cannot close", temporary) }
        switch placement {
        case .replace:
            guard rename(temporary.path, url.path) == 0 else { throw failure("cannot move into place", url) }
        case .createOnly:
            guard link(temporary.path, url.path) == 0 else {
                if errno == EEXIST { return false }
                throw failure("cannot link into place", url)
            }
        }
        try syncDirectory(directory)
        return true
    }

    /// Makes renames, links and unlinks in `directory` durable.
    static func syncDirectory(_ directory: URL) throws {
        let descriptor = open(directory.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw failure("cannot open", directory) }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw failure("cannot fsync", directory) }
    }

    /// Removes `.NAME.tmp-…` files a killed writer left. Call only under the writer lock:
    /// every writer of such files holds it, so none of them is in flight.
    /// With `file`, only that file's temporaries.
    static func removeStaleTemporaries(in directory: URL, of file: String? = nil) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else { return }
        let prefix = file.map { ".\($0)\(temporaryMarker)" } ?? "."
        for name in names where name.hasPrefix(prefix) && name.contains(temporaryMarker) {
            unlink(directory.appendingPathComponent(name).path)
        }
    }

    /// Creates `url` with mode 0700 (parents as needed), and takes group and other access away
    /// from an existing one: the home holds private keys.
    static func makePrivateDirectory(_ url: URL) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        if mkdir(url.path, 0o700) != 0, errno != EEXIST { throw failure("cannot create", url) }
        var info = stat()
        guard lstat(url.path, &info) == 0 else { throw failure("cannot stat", url) }
        guard info.st_mode & S_IFMT == S_IFDIR else {
            throw RegistryError("\(url.path) exists and is not a directory", code: .storage)
        }
        if info.st_mode & 0o077 != 0, chmod(url.path, info.st_mode & 0o700) != 0 { throw failure("cannot restrict", url) }
    }

    /// Best effort for homes made before they were created 0700: a home someone else owns
    /// (a shared read-only mirror) cannot be changed and is left as it is.
    static func closeToOthers(_ url: URL) {
        var info = stat()
        if lstat(url.path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR, info.st_mode & 0o077 != 0 {
            chmod(url.path, info.st_mode & 0o700)
        }
    }

    static func failure(_ what: String, _ url: URL) -> RegistryError {
        let reason = String(cString: strerror(errno))
        return RegistryError("\(what) \(url.path): \(reason)", code: .storage)
    }
}
