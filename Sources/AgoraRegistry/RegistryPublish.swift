import AgoraCore
import AgoraStore
import AgoraViews
import Foundation

public struct PublishResult: Sendable, Encodable {
    public let package: String
    public let version: String
    public let digest: String
    public let size: Int
    public let files: Int
    public let event: String
    public let seq: UInt64
    /// True when this exact release was already in the store: publishing is idempotent.
    public let alreadyPublished: Bool
}

extension Registry {
    /// Packs the folder, stores the archive and appends a signed release event.
    ///
    /// Versions are immutable: the same bytes again is a no-op, other bytes for a version this
    /// key already published are refused. The archive and the event commit in one transaction,
    /// so a crash leaves either both or neither.
    public func publish(folder: URL, parameters: PackageFolderParameters = PackageFolderParameters()) throws -> PublishResult {
        let packed: PackedPackage
        do {
            packed = try PackageFolder.pack(folder, parameters: parameters)
        } catch {
            throw RegistryError("cannot publish \(folder.path): \(error)")
        }
        return try commitRelease(manifest: packed.manifest, archive: packed.archive, fileCount: packed.fileCount)
    }

    /// Stores `archive` exactly as given and signs its release, unless this key already
    /// published the version: the same bytes again is a no-op, other bytes a conflict.
    func commitRelease(
        manifest: ValidatedManifest, archive: [UInt8], fileCount: Int, signature: ArchiveUpload.Signature? = nil
    ) throws -> PublishResult {
        let digest = EventID(hashing: archive).bytes
        let key = PackageKey(scope: manifest.package.scope, name: manifest.package.name)
        let versionText = manifest.version.description

        return try withWriterLock {
            let principal = try store.principal(of: identity.publicKey)
            if let existing = try store.packageState(key)?.releases(of: versionText).first(where: { $0.principal == principal }) {
                guard existing.version == versionText else {
                    throw RegistryError(
                        "\(manifest.package) \(existing.version) is already published; \(versionText) differs from it only in "
                            + "build metadata, which does not make a new version. Versions are immutable: bump the version.",
                        code: .conflict)
                }
                guard existing.archiveDigest == digest else {
                    throw RegistryError(
                        "\(manifest.package) \(versionText) is already published with sha256 \(Hex.encode(existing.archiveDigest)); "
                            + "this archive is sha256 \(Hex.encode(digest)). Versions are immutable: bump the version.",
                        code: .conflict)
                }
                return PublishResult(
                    package: manifest.package.description, version: versionText, digest: Hex.encode(digest),
                    size: archive.count, files: fileCount, event: existing.event.hex, seq: existing.seq,
                    alreadyPublished: true)
            }
            let prepared = try store.prepareBlob(archive)
            guard prepared.digest.bytes == digest else {
                throw RegistryError("blob store computed sha256 \(prepared.digest.hex) for an archive hashing to \(Hex.encode(digest))", code: .integrity)
            }
            let body = ReleasePublished(
                scope: manifest.package.scope, name: manifest.package.name, version: versionText,
                manifest: manifest.manifest.canonicalJSON(), archiveDigest: digest, archiveSize: UInt64(archive.count),
                signatureFormat: signature?.format ?? "", archiveSignature: signature?.archive ?? [],
                metadataSignature: signature?.metadata ?? [])
            let event = try appendOwn(.releasePublished(body), storing: [prepared])
            if try store.pinnedKey(for: manifest.package.scope) == nil {
                try store.pin(identity.publicKey, for: manifest.package.scope)
            }
            return PublishResult(
                package: manifest.package.description, version: versionText, digest: Hex.encode(digest),
                size: archive.count, files: fileCount, event: event.id.hex, seq: event.seq,
                alreadyPublished: false)
        }
    }

    public struct YankResult: Sendable, Encodable {
        public let package: String
        public let version: String
        public let reason: String
        public let event: String
    }

    /// Yanking hides a release from resolution without deleting anything: lockfiles that name it still install.
    public func yank(_ package: PackageIdentity, version: String, reason: String) throws -> YankResult {
        guard reason.utf8.count <= ReleaseYanked.maxReasonLength else {
            throw RegistryError("the yank reason is \(reason.utf8.count) bytes; keep it under \(ReleaseYanked.maxReasonLength)")
        }
        return try withWriterLock {
            let key = PackageKey(scope: package.scope, name: package.name)
            let principal = try store.principal(of: identity.publicKey)
            guard let state = try store.packageState(key) else {
                throw RegistryError("no package \(package) in the local index", code: .notFound)
            }
            guard let release = state.releases(of: version).first(where: { $0.principal == principal }) else {
                let others = state.releases(of: version).map(\.author.short)
                let hint = others.isEmpty ? "no such version" : "only other keys published it (\(others.joined(separator: ", ")))"
                throw RegistryError("cannot yank \(package) \(version): \(hint); a key can yank only its own releases", code: .notFound)
            }
            if release.yanked {
                return YankResult(package: package.description, version: version, reason: release.yankReason, event: release.event.hex)
            }
            let event = try appendOwn(.releaseYanked(ReleaseYanked(scope: state.displayScope, name: state.displayName, version: version, reason: reason)))
            return YankResult(package: package.description, version: version, reason: reason, event: event.id.hex)
        }
    }
}
