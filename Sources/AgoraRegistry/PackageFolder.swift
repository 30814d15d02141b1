import AgoraCore
import AgoraStore
import Foundation

/// A package folder read and packed, ready to publish.
public struct PackedPackage: Sendable {
    public enum Kind: Sendable, Hashable {
        /// The folder has an `agora.json` manifest.
        case agora
        /// A Swift package (`Package.swift`) whose manifest was assembled from the folder and the parameters.
        case swiftPackage
    }

    public let kind: Kind
    public let manifest: ValidatedManifest
    /// The deterministic source archive (see `SourceArchive`).
    public let archive: [UInt8]
    public let fileCount: Int
}

/// What the folder does not say and the caller may supply (the command line's `--scope`, `--version`).
public struct PackageFolderParameters: Sendable, Hashable {
    public var scope: String?
    public var name: String?
    public var version: String?

    public init(scope: String? = nil, name: String? = nil, version: String? = nil) {
        self.scope = scope
        self.name = name
        self.version = version
    }
}

public enum PackageFolderError: Error, Equatable, Sendable, CustomStringConvertible {
    case notADirectory(String)
    case noManifest(String)
    case manifest(ManifestDecodeError)
    case invalidManifest(ManifestValidationError)
    case missingParameter(field: String, hint: String)
    case conflictingParameter(field: String, inFolder: String, given: String)
    case linkOutsideFolder(path: String, target: String)
    case unsupportedFile(path: String, reason: String)
    case archive(ZipError)
    case io(path: String, reason: String)

    public var description: String {
        switch self {
        case .notADirectory(let path): "\(path) is not a directory"
        case .noManifest(let path):
            "\(path) has neither \(Manifest.fileName) nor Package.swift; add an \(Manifest.fileName) manifest"
        case .manifest(let error): error.description
        case .invalidManifest(let error): error.description
        case .missingParameter(let field, let hint): "the folder does not say its \(field); \(hint)"
        case .conflictingParameter(let field, let inFolder, let given):
            "the folder's \(field) is \"\(inFolder)\" but \"\(given)\" was given"
        case .linkOutsideFolder(let path, let target):
            "\(path) is a symbolic link to \(target), outside the package folder; replace it with the file"
        case .unsupportedFile(let path, let reason): "\(path): \(reason)"
        case .archive(let error): error.description
        case .io(let path, let reason): "\(path): \(reason)"
        }
    }
}

/// Reads a package folder into a manifest and a source archive.
///
/// Two layouts publish: a folder with `agora.json`, and a Swift package folder
/// (`Package.swift` plus the optional `package-metadata.json` that `swift package-registry
/// publish` reads) whose scope and version come from the parameters. Packing leaves out
/// build and VCS state, so the archive depends on the sources only.
public enum PackageFolder {
    public static let swiftManifestName = "Package.swift"
    public static let swiftMetadataName = "package-metadata.json"
    /// Build products, VCS data and Finder litter: never part of a release.
    public static let excludedNames: Set<String> = [".git", ".build", ".swiftpm", ".DS_Store"]
    static let maxDepth = 64
    static let maxSwiftManifestSize = 1024 * 1024

    public static func pack(
        _ folder: URL, parameters: PackageFolderParameters = PackageFolderParameters(),
        limits: ZipLimits = ZipLimits(), manifestLimits: ManifestLimits = ManifestLimits()
    ) throws(PackageFolderError) -> PackedPackage {
        let folder = folder.standardizedFileURL
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw .notADirectory(folder.path)
        }
        let kind: PackedPackage.Kind
        let manifest: Manifest
        let agoraManifest = folder.appendingPathComponent(Manifest.fileName)
        let swiftManifest = folder.appendingPathComponent(swiftManifestName)
        if FileManager.default.fileExists(atPath: agoraManifest.path) {
            kind = .agora
            manifest = try agoraFolderManifest(agoraManifest, parameters: parameters, limits: manifestLimits)
        } else if FileManager.default.fileExists(atPath: swiftManifest.path) {
            kind = .swiftPackage
            manifest = try swiftFolderManifest(folder, parameters: parameters)
        } else {
            throw .noManifest(folder.path)
        }
        let validated: ValidatedManifest
        do {
            validated = try manifest.validated(limits: manifestLimits)
        } catch {
            throw .invalidManifest(error)
        }
        let files = try collectFiles(folder, limits: limits)
        do {
            let archive = try SourceArchive.pack(root: validated.manifest.name, files: files, limits: limits)
            return PackedPackage(kind: kind, manifest: validated, archive: archive, fileCount: files.count)
        } catch {
            throw .archive(error)
        }
    }

    static func agoraFolderManifest(
        _ file: URL, parameters: PackageFolderParameters, limits: ManifestLimits
    ) throws(PackageFolderError) -> Manifest {
        let bytes = try readFile(file, limit: limits.maxFileSize)
        let manifest: Manifest
        do {
            manifest = try Manifest.decode(file: file.path, json: bytes, limits: limits)
        } catch {
            throw .manifest(error)
        }
        for (field, inFolder, given) in [
            ("scope", manifest.scope, parameters.scope), ("name", manifest.name, parameters.name),
            ("version", manifest.version, parameters.version),
        ] {
            if let given, given != inFolder { throw .conflictingParameter(field: field, inFolder: inFolder, given: given) }
        }
        return manifest
    }

    static func swiftFolderManifest(_ folder: URL, parameters: PackageFolderParameters) throws(PackageFolderError) -> Manifest {
        guard let scope = parameters.scope else {
            throw .missingParameter(field: "scope", hint: "a Swift package needs one given on the command line (--scope)")
        }
        guard let version = parameters.version else {
            throw .missingParameter(field: "version", hint: "a Swift package needs one given on the command line (--version)")
        }
        let source = try readFile(folder.appendingPathComponent(swiftManifestName), limit: maxSwiftManifestSize)
        let declared = declaredPackageName(in: String(decoding: source, as: UTF8.self))
        if let declared, let given = parameters.name, given != declared {
            throw .conflictingParameter(field: "name", inFolder: declared, given: given)
        }
        let name = parameters.name ?? declared ?? folder.lastPathComponent
        var manifest = Manifest(scope: scope, name: name, version: version)
        manifest.dependencies = SwiftManifestDependencies.read(String(decoding: source, as: UTF8.self))
        let metadataFile = folder.appendingPathComponent(swiftMetadataName)
        if FileManager.default.fileExists(atPath: metadataFile.path) {
            try SwiftPackageMetadata.load(metadataFile).apply(to: &manifest)
        }
        return manifest
    }

    /// The `name:` argument of the `Package(...)` initialiser, read textually: evaluating the
    /// manifest would mean running code from the folder.
    static func declaredPackageName(in source: String) -> String? {
        guard let pattern = try? Regex(#"Package\s*\(\s*name\s*:\s*"([^"\\\n]*)""#),
              let match = source.firstMatch(of: pattern),
              match.output.count > 1,
              let name = match.output[1].substring else { return nil }
        return String(name)
    }

    /// Every file to archive, with paths relative to the folder. Symbolic links that stay
    /// inside the folder are stored as the file they point to (zip entries are never links).
    public static func collectFiles(_ folder: URL, limits: ZipLimits = ZipLimits()) throws(PackageFolderError) -> [ZipEntry] {
        let root = folder.standardizedFileURL.resolvingSymlinksInPath()
        var walk = FolderWalk(root: root, limits: limits)
        try walk.visit(directory: root, relative: "", depth: 0)
        return walk.files
    }

    static func readFile(_ file: URL, limit: Int) throws(PackageFolderError) -> [UInt8] {
        let size: Int
        do {
            size = (try FileManager.default.attributesOfItem(atPath: file.path)[.size] as? NSNumber)?.intValue ?? 0
        } catch {
            throw .io(path: file.path, reason: "cannot read: \(FileErrorReason.of(error))")
        }
        guard size <= limit else { throw .unsupportedFile(path: file.path, reason: "is \(size) bytes, the limit is \(limit)") }
        do {
            return Array(try Data(contentsOf: file))
        } catch {
            throw .io(path: file.path, reason: "cannot read: \(FileErrorReason.of(error))")
        }
    }
}

private struct FolderWalk {
    let root: URL
    let limits: ZipLimits
    var files: [ZipEntry] = []
    var total = 0

    init(root: URL, limits: ZipLimits) {
        self.root = root
        self.limits = limits
    }

    mutating func visit(directory: URL, relative: String, depth: Int) throws(PackageFolderError) {
        guard depth <= PackageFolder.maxDepth else {
            throw .unsupportedFile(path: directory.path, reason: "nested deeper than \(PackageFolder.maxDepth) levels")
        }
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        } catch {
            throw .io(path: directory.path, reason: "cannot list: \(FileErrorReason.of(error))")
        }
        for name in names.sorted() where !PackageFolder.excludedNames.contains(name) {
            let url = directory.appendingPathComponent(name)
            let path = relative.isEmpty ? name : relative + "/" + name
            let attributes: [FileAttributeKey: Any]
            do {
                attributes = try FileManager.default.attributesOfItem(atPath: url.path)
            } catch {
                throw .io(path: url.path, reason: "cannot inspect: \(FileErrorReason.of(error))")
            }
            switch attributes[.type] as? FileAttributeType {
            case .typeDirectory?:
                try visit(directory: url, relative: path, depth: depth + 1)
            case .typeRegular?:
                try add(url, path: path, attributes: attributes)
            case .typeSymbolicLink?:
                try addLink(url, path: path)
            default:
                throw .unsupportedFile(path: url.path, reason: "not a regular file, directory or symbolic link")
            }
        }
    }

    mutating func addLink(_ url: URL, path: String) throws(PackageFolderError) {
        let target = url.resolvingSymlinksInPath()
        let rootPrefix = root.path.hasSuffix("/") ? root.path : root.path + "/"
        guard target.path.hasPrefix(rootPrefix) else {
            let destination = (try? FileManager.default.destinationOfSymbolicLink(atPath: url.path)) ?? target.path
            throw .linkOutsideFolder(path: url.path, target: destination)
        }
        let attributes: [FileAttributeKey: Any]
        do {
            attributes = try FileManager.default.attributesOfItem(atPath: target.path)
        } catch {
            throw .unsupportedFile(path: url.path, reason: "symbolic link to a missing file")
        }
        guard attributes[.type] as? FileAttributeType == .typeRegular else {
            throw .unsupportedFile(path: url.path, reason: "symbolic link to something other than a regular file")
        }
        try add(target, path: path, attributes: attributes)
    }

    mutating func add(_ url: URL, path: String, attributes: [FileAttributeKey: Any]) throws(PackageFolderError) {
        guard files.count < limits.maxEntries else {
            throw .archive(.tooManyEntries(count: files.count + 1, limit: limits.maxEntries))
        }
        let size = (attributes[.size] as? NSNumber)?.intValue ?? 0
        guard size <= limits.maxEntrySize else {
            throw .archive(.entryTooLarge(path: path, size: size, limit: limits.maxEntrySize))
        }
        let data = try PackageFolder.readFile(url, limit: limits.maxEntrySize)
        total += data.count
        guard total <= limits.maxTotalSize else { throw .archive(.totalTooLarge(limit: limits.maxTotalSize)) }
        let permissions = (attributes[.posixPermissions] as? NSNumber)?.intValue ?? 0o644
        files.append(ZipEntry(path: path, data: data, isExecutable: permissions & 0o111 != 0))
    }
}

/// The parts of SwiftPM's package release metadata (`package-metadata.json`) a manifest can carry.
struct SwiftPackageMetadata: Decodable {
    struct Author: Decodable {
        var name: String
        var email: String?
    }

    var description: String?
    var author: Author?
    var licenseURL: String?
    var repositoryURLs: [String]?

    static let maxSize = 64 * 1024

    static func load(_ file: URL) throws(PackageFolderError) -> SwiftPackageMetadata {
        let bytes = try PackageFolder.readFile(file, limit: maxSize)
        return try decode(bytes, source: file.path)
    }

    static func decode(_ bytes: [UInt8], source: String) throws(PackageFolderError) -> SwiftPackageMetadata {
        guard bytes.count <= maxSize else {
            throw .unsupportedFile(path: source, reason: "is \(bytes.count) bytes, the limit is \(maxSize)")
        }
        let data = Data(bytes)
        do {
            return try JSONDecoder().decode(SwiftPackageMetadata.self, from: data)
        } catch {
            throw .manifest(ManifestDecodeError(file: source, problem: JSONProblem.describe(error, decoding: data)))
        }
    }

    /// The manifest fields SwiftPM's metadata fills in.
    func apply(to manifest: inout Manifest) {
        manifest.description = description ?? ""
        manifest.license = licenseURL
        if let author {
            manifest.authors = [author.email.map { "\(author.name) <\($0)>" } ?? author.name]
        }
        manifest.repositoryURLs = repositoryURLs ?? []
    }
}
