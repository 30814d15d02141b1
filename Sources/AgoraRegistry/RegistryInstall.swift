import AgoraCore
import AgoraStore
import AgoraViews
import Foundation

public struct InstallResult: Sendable, Encodable {
    public struct Installed: Sendable, Encodable {
        public let package: String
        public let version: String
        public let digest: String
        public let path: String
        public let files: Int
    }

    public let directory: String
    public let installed: [Installed]
}

/// An archive a resolved install needs and the store lacks.
public struct NeededArchive: Sendable, Equatable {
    public let package: String
    public let version: String
    public let digest: BlobDigest
    /// As the signed release event states it.
    public let size: UInt64
}

typealias InstallStep = (package: PackageIdentity, version: SemanticVersion, release: PackageRelease)

extension Registry {
    /// Resolves `request` and its dependencies against the trusted releases, checks every
    /// archive against the SHA-256 in its signed event, unpacks each into
    /// `directory/<scope>/<name>` and records the result in `directory/agora.lock`.
    public func install(_ request: PackageRequest, into directory: URL) throws -> InstallResult {
        let (plan, trusted) = try resolve(request)
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw RegistryError("cannot create \(directory.path): \(FileErrorReason.of(error))", code: .storage)
        }
        let holder = BlobPinHolder.installFolder(directory)
        try pinArchives(of: plan, holder: holder)
        let installed = try Lockfile.withLock(in: directory) {
            let installed = try InstallFolder(directory: directory).install(plan.map { item in
                InstallFolder.Item(package: item.package, version: item.version, release: item.release) {
                    try self.verifiedArchive(of: item.release, package: item.package, version: item.version)
                }
            })
            // The folder's pins become exactly its lockfile's archives (a kill before this
            // leaves a superset, which the next install into the folder narrows).
            let digests = try Lockfile.read(in: directory).packages.compactMap { BlobDigest(hex: $0.digest) }
            try store.setBlobPins(digests, holder: holder, replacing: true)
            return installed
        }
        try? store.flushBlobUses()
        try withWriterLock {
            for (scope, key) in trusted where try store.pinnedKey(for: scope) == nil {
                try store.pin(key, for: scope)
            }
        }
        return InstallResult(directory: directory.path, installed: installed)
    }

    /// The releases `request` resolves to (with their dependencies), and the scope keys trusted on the way.
    func resolve(_ request: PackageRequest) throws -> (plan: [InstallStep], trusted: [String: PublicKey]) {
        var trusted: [String: PublicKey] = [:]
        var releases: [PackageIdentity: [String: PackageRelease]] = [:]
        var refusal: RegistryError?
        let resolution: [PackageIdentity: SemanticVersion]
        do {
            resolution = try Resolver().resolve([request.package: request.range]) { package in
                guard let state = try store.packageState(PackageKey(scope: package.scope, name: package.name)) else { return nil }
                let principal: PublicKey
                do {
                    principal = try trustedPrincipal(for: state, decided: &trusted)
                } catch let error as RegistryError {
                    refusal = error
                    throw error
                }
                var candidates: [ResolverCandidate] = []
                var byVersion: [String: PackageRelease] = [:]
                for release in state.releases where release.principal == principal {
                    guard let version = try? SemanticVersion(parsing: release.version) else { continue }
                    let manifest = try Manifest.decode(json: release.manifest)
                    var dependencies: [PackageIdentity: VersionRange] = [:]
                    for (name, range) in manifest.dependencies {
                        dependencies[try PackageIdentity(parsing: name)] = try VersionRange(parsing: range)
                    }
                    candidates.append(ResolverCandidate(version: version, dependencies: dependencies, isYanked: release.yanked))
                    byVersion[String(SemanticVersion.identityKey(version.description))] = release
                }
                releases[package] = byVersion
                return candidates
            }
        } catch {
            if let refusal { throw refusal }
            var unknown: PackageIdentity?
            if case .missingPackage(let package, _) = error { unknown = package }
            throw RegistryError("cannot resolve \(request.package): \(error)", code: .notFound, unknownPackage: unknown)
        }

        var plan: [InstallStep] = []
        for (package, version) in resolution.sorted(by: { $0.key < $1.key }) {
            guard let release = releases[package]?[String(SemanticVersion.identityKey(version.description))] else {
                throw RegistryError("internal: resolved \(package) \(version) without its release", code: .storage)
            }
            plan.append((package, version, release))
        }
        return (plan, trusted)
    }

    /// Pins the archives `request` resolves to for the install folder `directory`, before they
    /// are fetched: the daemon's archive cache must not evict one between fetch and install.
    /// (`install` narrows the folder's pins to its lockfile's archives afterwards.)
    public func pinArchives(for request: PackageRequest, into directory: URL) throws {
        try pinArchives(of: resolve(request).plan, holder: .installFolder(directory))
    }

    private func pinArchives(of plan: [InstallStep], holder: BlobPinHolder) throws {
        let digests = plan.compactMap { BlobDigest(bytes: $0.release.archiveDigest) }
        do {
            try store.setBlobPins(digests, holder: holder, replacing: false)
        } catch {
            throw RegistryError("cannot pin the archives of \(holder.label): \(error)", code: .storage)
        }
    }

    /// The archives `request` needs that the local store lacks: what a network install fetches.
    /// Throws like `install` when the package is unknown or cannot be resolved.
    public func archivesNeeded(for request: PackageRequest) throws -> [NeededArchive] {
        try resolve(request).plan.compactMap { step in
            guard let digest = BlobDigest(bytes: step.release.archiveDigest) else {
                throw RegistryError("release \(step.package) \(step.version) names a malformed digest", code: .integrity)
            }
            if try store.hasBlob(digest) { return nil }
            return NeededArchive(package: "\(step.package)", version: "\(step.version)", digest: digest, size: step.release.archiveSize)
        }
    }

    /// The archive as stored, refused unless its SHA-256 equals the digest its author signed.
    func verifiedArchive(of release: PackageRelease, package: PackageIdentity, version: SemanticVersion) throws -> [UInt8] {
        let expected = Hex.encode(release.archiveDigest)
        guard let digest = BlobDigest(bytes: release.archiveDigest) else {
            throw RegistryError("release \(package) \(version) names a malformed digest", code: .integrity)
        }
        let archive: [UInt8]
        do {
            guard let stored = try store.blob(digest) else {
                throw RegistryError("the archive of \(package) \(version) (sha256 \(expected)) is not in the local store", code: .notFound)
            }
            archive = stored
        } catch let error as RegistryError {
            throw error
        } catch {
            throw RegistryError("refusing to install \(package) \(version): \(error)", code: .integrity)
        }
        let actual = EventID(hashing: archive).hex
        guard actual == expected else {
            throw RegistryError(
                "refusing to install \(package) \(version): archive sha256 \(actual) differs from the signed sha256 \(expected)",
                code: .integrity)
        }
        store.noteBlobUse(digest)
        return archive
    }

    /// The principal whose releases count for this package's scope: the pinned key's, or on
    /// first use the only claimant's. A contested scope without a pin is refused, never guessed.
    func trustedPrincipal(for state: PackageState, decided: inout [String: PublicKey]) throws -> PublicKey {
        let scope = state.key.scope
        if let pinned = try decided[scope] ?? store.pinnedKey(for: scope) {
            decided[scope] = pinned
            return try store.principal(of: pinned)
        }
        if state.contested {
            let keys = state.claimants.map { "\($0.principal.hex) (first release \($0.firstRelease.hex.prefix(12)))" }
            throw RegistryError(
                "scope \(state.displayScope) is contested by \(state.claimants.count) keys:\n  "
                    + keys.joined(separator: "\n  ")
                    + "\nAgora will not guess. Pin the key you trust with: agora trust \(state.displayScope) <KEY>",
                code: .untrusted)
        }
        guard let only = state.claimants.first else {
            throw RegistryError("package \(state.key) has no releases", code: .notFound)
        }
        decided[scope] = only.principal
        return only.principal
    }
}
