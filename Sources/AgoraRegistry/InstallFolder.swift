import AgoraCore
import AgoraStore
import AgoraViews
import Foundation

/// Puts resolved packages into an install folder without ever destroying what agora did not
/// put there. Runs under the folder's lock (`Lockfile.withLock`).
///
/// Steps, so a kill at any point loses nothing and leaves nothing behind after the next run:
/// 1. leftovers of a killed install are cleaned (`ArchiveExtractor.removeLeftovers`);
/// 2. every target is checked: an existing folder is replaced only when the lockfile says
///    agora put it there, and only if it is a real directory (not a link or file);
/// 3. every archive is read, checked against its signed digest and unpacked in memory —
///    all of them before any folder is touched;
/// 4. the lockfile names the folders about to change (`pending`);
/// 5. each package goes into a staging folder renamed into place;
/// 6. the lockfile gets the new entries and loses `pending`.
struct InstallFolder {
    struct Item {
        var package: PackageIdentity
        var version: SemanticVersion
        var release: PackageRelease
        /// The archive, refused unless its SHA-256 is the signed one.
        var archive: () throws -> [UInt8]
    }

    let directory: URL

    func install(_ items: [Item]) throws -> [InstallResult.Installed] {
        var lockfile = try Lockfile.read(in: directory)
        var prepared: [(item: Item, target: URL, contents: SourceArchive.Contents, exists: Bool)] = []
        for item in items {
            let scopeFolder = directory.appendingPathComponent(item.package.scope.lowercased())
            try requireDirectoryOrNothing(scopeFolder, package: item.package)
            do {
                try ArchiveExtractor.removeLeftovers(in: scopeFolder)
            } catch {
                throw RegistryError("cannot clean up after an interrupted install in \(scopeFolder.path): \(error)", code: .storage)
            }
            let target = scopeFolder.appendingPathComponent(item.package.name.lowercased())
            let exists = try requireDirectoryOrNothing(target, package: item.package)
            if exists, !lockfile.owns(item.package.description) {
                throw RegistryError(
                    "\(target.path) exists and agora did not install it (\(Lockfile.fileName) does not list \(item.package)); "
                        + "move it away or install into another folder")
            }
            prepared.append((item, target, try unpacked(item), exists))
        }
        CrashPoint.reach("install.verified")

        let changing = prepared.map { $0.item.package.description }
        lockfile.pending = Array(Set((lockfile.pending ?? []) + changing)).sorted()
        try lockfile.write(in: directory)
        CrashPoint.reach("install.locked-entries")

        var installed: [InstallResult.Installed] = []
        for entry in prepared {
            let (item, target) = (entry.item, entry.target)
            do {
                try ArchiveExtractor.place(entry.contents, at: target, replacingExisting: entry.exists)
            } catch {
                throw RegistryError("cannot unpack \(item.package) \(item.version) into \(target.path): \(error)", code: .storage)
            }
            let manifest = try Manifest.decode(json: item.release.manifest)
            lockfile.record(Lockfile.Entry(
                package: item.package.description, version: item.version.description, digest: Hex.encode(item.release.archiveDigest),
                author: item.release.author.hex, event: item.release.event.hex, dependencies: manifest.dependencies))
            installed.append(InstallResult.Installed(
                package: item.package.description, version: item.version.description,
                digest: Hex.encode(item.release.archiveDigest), path: target.path, files: entry.contents.files.count))
        }
        let done = Set(changing.map { $0.lowercased() })
        let stillPending = (lockfile.pending ?? []).filter { !done.contains($0.lowercased()) }
        lockfile.pending = stillPending.isEmpty ? nil : stillPending
        try lockfile.write(in: directory)
        return installed
    }

    private func unpacked(_ item: Item) throws -> SourceArchive.Contents {
        let archive = try item.archive()
        do {
            return try SourceArchive.unpack(archive)
        } catch {
            throw RegistryError("refusing to install \(item.package) \(item.version): its archive is unusable: \(error)", code: .integrity)
        }
    }

    /// True when `url` is a real directory, false when nothing is there; anything else
    /// (a symbolic link, a file) is refused: agora never put it there.
    @discardableResult
    private func requireDirectoryOrNothing(_ url: URL, package: PackageIdentity) throws -> Bool {
        var info = stat()
        guard lstat(url.path, &info) == 0 else {
            if errno == ENOENT { return false }
            throw HomeFiles.failure("cannot inspect", url)
        }
        guard info.st_mode & S_IFMT == S_IFDIR else {
            throw RegistryError("\(url.path) is in the way of \(package) and is not a folder agora made; move it away")
        }
        return true
    }
}
