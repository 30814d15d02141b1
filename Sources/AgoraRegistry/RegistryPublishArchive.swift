import AgoraCore
import Foundation

/// A release as a SwiftPM client uploads it: the archive it built, and its metadata JSON.
public struct ArchiveUpload: Sendable {
    public var package: PackageIdentity
    public var version: String
    /// The zip exactly as sent; it is stored and hashed byte for byte.
    public var archive: [UInt8]
    /// `package-metadata.json` as sent, when the client sent one.
    public var metadata: [UInt8]?
    public var signature: Signature?

    /// SwiftPM's signature of a release (`X-Swift-Package-Signature-Format` and the
    /// `source-archive-signature`/`metadata-signature` parts), recorded in the release event.
    public struct Signature: Sendable {
        public static let formats: Set<String> = ["cms-1.0.0"]
        /// Far above a CMS signature with a certificate chain (a few KiB); keeps events small.
        public static let maxSize = 32 * 1024

        public var format: String
        public var archive: [UInt8]
        public var metadata: [UInt8]

        public init(format: String, archive: [UInt8], metadata: [UInt8] = []) {
            self.format = format
            self.archive = archive
            self.metadata = metadata
        }
    }

    public init(package: PackageIdentity, version: String, archive: [UInt8], metadata: [UInt8]? = nil, signature: Signature? = nil) {
        self.package = package
        self.version = version
        self.archive = archive
        self.metadata = metadata
        self.signature = signature
    }
}

extension Registry {
    /// Publishes an archive a client built (SwiftPM's `package-registry publish`), signed by
    /// this node's publisher key.
    ///
    /// The archive is validated in full (paths, one top-level directory, sizes, CRCs, deflate
    /// bounds) and must hold a `Package.swift` at its top, but it is never repacked: the stored
    /// bytes and so the SHA-256 that SwiftPM pins on first use are the client's own.
    public func publish(_ upload: ArchiveUpload, limits: ZipLimits = ZipLimits()) throws -> PublishResult {
        if let signature = upload.signature {
            guard ArchiveUpload.Signature.formats.contains(signature.format) else {
                throw RegistryError("unsupported signature format \"\(signature.format.prefix(40))\"; this node keeps cms-1.0.0")
            }
            guard !signature.archive.isEmpty, signature.archive.count <= ArchiveUpload.Signature.maxSize,
                  signature.metadata.count <= ArchiveUpload.Signature.maxSize
            else {
                throw RegistryError("a signature must be 1–\(ArchiveUpload.Signature.maxSize) bytes")
            }
            guard upload.metadata != nil || signature.metadata.isEmpty else {
                throw RegistryError("a metadata signature came without metadata")
            }
        }
        let contents: SourceArchive.Contents
        do {
            contents = try SourceArchive.unpack(upload.archive, limits: limits)
        } catch {
            throw RegistryError("the source archive is not usable: \(error)")
        }
        guard let swiftManifest = contents.files.first(where: { $0.path == PackageFolder.swiftManifestName }) else {
            throw RegistryError(
                "the source archive has no \(PackageFolder.swiftManifestName) in its top-level directory \"\(contents.root)/\"")
        }
        var manifest = Manifest(scope: upload.package.scope, name: upload.package.name, version: upload.version)
        manifest.dependencies = SwiftManifestDependencies.read(String(decoding: swiftManifest.data, as: UTF8.self))
        if let metadata = upload.metadata {
            do {
                try SwiftPackageMetadata.decode(metadata, source: "metadata").apply(to: &manifest)
            } catch {
                throw RegistryError("invalid release metadata: \(error)")
            }
        }
        let validated: ValidatedManifest
        do {
            validated = try manifest.validated()
        } catch {
            throw RegistryError("\(error)")
        }
        return try commitRelease(manifest: validated, archive: upload.archive, fileCount: contents.files.count, signature: upload.signature)
    }
}
