import AgoraCore
import AgoraStore
import Foundation

public enum ArchiveExtractionError: Error, Equatable, Sendable, CustomStringConvertible {
    case archive(ZipError)
    case targetExists(String)
    case io(path: String, reason: String)

    public var description: String {
        switch self {
        case .archive(let error): error.description
        case .targetExists(let path): "\(path) already exists; remove it or choose another directory"
        case .io(let path, let reason): "\(path): \(reason)"
        }
    }
}

/// Unpacks a source archive into a directory, all or nothing.
///
/// The whole archive is validated in memory first (`SourceArchive.unpack`: no `..`, no
/// absolute paths, no links, size limits, CRCs). Files are then written into a fresh
/// temporary sibling of the target, which is renamed into place only once complete, so a
/// failure or a crash never leaves a half-written package where the target should be.
/// The archive's top-level directory is stripped, as SwiftPM does.
public enum ArchiveExtractor {
    @discardableResult
    public static func extract(
        _ archive: [UInt8], to target: URL, limits: ZipLimits = ZipLimits(), replacingExisting: Bool = false
    ) throws(ArchiveExtractionError) -> SourceArchive.Contents {
        let contents: SourceArchive.Contents
        do {
            contents = try SourceArchive.unpack(archive, limits: limits)
        } catch {
            throw .archive(error)
        }
        try place(contents, at: target, replacingExisting: replacingExisting)
        return contents
    }

    /// Writes already validated contents; install validates every archive before placing any.
    public static func place(_ contents: SourceArchive.Contents, at target: URL, replacingExisting: Bool) throws(ArchiveExtractionError) {
        let target = target.standardizedFileURL
        let fileManager = FileManager.default
        let exists = fileManager.fileExists(atPath: target.path)
        if exists, !replacingExisting { throw .targetExists(target.path) }
        let parent = target.deletingLastPathComponent()
        try io(parent.path) { try fileManager.createDirectory(at: parent, withIntermediateDirectories: true) }

        let staging = parent.appendingPathComponent(".\(target.lastPathComponent)\(stagingMarker)\(randomSuffix())")
        try io(staging.path) { try fileManager.createDirectory(at: staging, withIntermediateDirectories: false) }
        do {
            for file in contents.files {
                try write(file, under: staging)
            }
            CrashPoint.reach("install.staged")
            try install(staging, at: target, replacing: exists)
        } catch {
            try? fileManager.removeItem(at: staging)
            throw error
        }
    }

    private static func write(_ file: ZipEntry, under staging: URL) throws(ArchiveExtractionError) {
        let destination = file.path.split(separator: "/").reduce(staging) { $0.appendingPathComponent(String($1)) }
        let directory = destination.deletingLastPathComponent()
        try io(directory.path) { try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true) }
        let mode = file.isExecutable ? 0o755 : 0o644
        let created = FileManager.default.createFile(
            atPath: destination.path, contents: Data(file.data), attributes: [.posixPermissions: mode])
        guard created else { throw .io(path: destination.path, reason: "cannot write file") }
    }

    /// Renames the finished staging folder into place; an existing target is moved aside first
    /// and restored if the rename fails.
    private static func install(_ staging: URL, at target: URL, replacing: Bool) throws(ArchiveExtractionError) {
        let fileManager = FileManager.default
        guard replacing else {
            try io(target.path) { try fileManager.moveItem(at: staging, to: target) }
            return
        }
        let aside = target.deletingLastPathComponent()
            .appendingPathComponent(".\(target.lastPathComponent)\(asideMarker)\(randomSuffix())")
        try io(target.path) { try fileManager.moveItem(at: target, to: aside) }
        CrashPoint.reach("install.moved-aside")
        do {
            try io(target.path) { try fileManager.moveItem(at: staging, to: target) }
            CrashPoint.reach("install.swapped")
        } catch {
            try? fileManager.moveItem(at: aside, to: target)
            throw error
        }
        try? fileManager.removeItem(at: aside)
    }

    static let stagingMarker = ".partial-"
    static let asideMarker = ".old-"

    /// Cleans what a killed extraction left in `parent`: staging folders are removed; a
    /// target moved aside is put back when nothing replaced it, else removed. Callers hold
    /// the install folder's lock, so no live extraction owns these names.
    static func removeLeftovers(in parent: URL) throws(ArchiveExtractionError) {
        let fileManager = FileManager.default
        guard let names = try? fileManager.contentsOfDirectory(atPath: parent.path) else { return }
        func isOurs(_ name: String, _ marker: String) -> Bool {
            guard let range = name.range(of: marker, options: .backwards) else { return false }
            let suffix = name[range.upperBound...]
            return !suffix.isEmpty && suffix.allSatisfy(\.isHexDigit)
        }
        for name in names.sorted() where name.hasPrefix(".") {
            let url = parent.appendingPathComponent(name)
            if isOurs(name, stagingMarker) {
                try io(url.path) { try fileManager.removeItem(at: url) }
            } else if isOurs(name, asideMarker), let range = name.range(of: asideMarker, options: .backwards) {
                let target = parent.appendingPathComponent(String(name[name.index(after: name.startIndex)..<range.lowerBound]))
                if fileManager.fileExists(atPath: target.path) {
                    try io(url.path) { try fileManager.removeItem(at: url) }
                } else {
                    try io(url.path) { try fileManager.moveItem(at: url, to: target) }
                }
            }
        }
    }

    private static func randomSuffix() -> String {
        String(UInt64.random(in: 0...UInt64.max), radix: 16)
    }

    private static func io(_ path: String, _ body: () throws -> Void) throws(ArchiveExtractionError) {
        do {
            try body()
        } catch {
            throw .io(path: path, reason: FileErrorReason.of(error))
        }
    }
}
