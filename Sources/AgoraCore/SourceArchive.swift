/// A package's source archive: a zip whose entries all sit under one top-level directory
/// named after the package (`LinkedList/Package.swift`, ...).
///
/// That is the layout `swift package archive-source` writes, and SwiftPM's registry client
/// strips the first path component after extracting a downloaded archive, so the single
/// top-level directory is what lets SwiftPM consume Agora releases unchanged.
public enum SourceArchive {
    public struct Contents: Sendable, Hashable {
        /// The top-level directory name.
        public let root: String
        /// Files with the top-level directory removed from their paths.
        public let files: [ZipEntry]
    }

    public static func pack(root: String, files: [ZipEntry], limits: ZipLimits = ZipLimits()) throws(ZipError) -> [UInt8] {
        try ZipPath.validate(root, limits: limits)
        guard !root.contains("/") else { throw .unsafePath(path: root, reason: "the top-level directory must be one path component") }
        return try ZipWriter.write(
            files.map { ZipEntry(path: root + "/" + $0.path, data: $0.data, isExecutable: $0.isExecutable) },
            limits: limits)
    }

    public static func unpack(_ bytes: [UInt8], limits: ZipLimits = ZipLimits()) throws(ZipError) -> Contents {
        let entries = try ZipReader.read(bytes, limits: limits)
        guard let first = entries.first else { throw .malformed("archive holds no files") }
        let root = String(first.path.prefix { $0 != "/" })
        let prefix = root + "/"
        var files: [ZipEntry] = []
        for entry in entries {
            guard entry.path.utf8.starts(with: prefix.utf8), entry.path.utf8.count > prefix.utf8.count else {
                throw .malformed(
                    "every entry must sit under one top-level directory; \"\(entry.path)\" is not under \"\(prefix)\"")
            }
            files.append(ZipEntry(path: String(decoding: entry.path.utf8.dropFirst(prefix.utf8.count), as: UTF8.self), data: entry.data, isExecutable: entry.isExecutable))
        }
        return Contents(root: root, files: files)
    }
}
