import AgoraCore
import AgoraRegistry
import AgoraStore
import Foundation
import Hummingbird
import NIOCore
import NIOPosix
import Synchronization

/// The Swift Package Registry API (swiftlang/swift-package-manager
/// `Documentation/PackageRegistry/Registry.md`), as SwiftPM 6.3 calls it.
struct RegistryRoutes: Sendable {
    let registry: Registry
    let configuration: HTTPConfiguration
    let authorization: WriteAuthorization
    let manifests = ManifestFiles()
    let responses: PackageResponseCache
    let repositories: RepositoryIndex
    let publishes: PublishGate

    init(registry: Registry, configuration: HTTPConfiguration) {
        self.registry = registry
        self.configuration = configuration
        self.authorization = WriteAuthorization(
            token: configuration.token, allowTokenlessLoopback: configuration.allowTokenlessLoopbackWrites)
        self.publishes = PublishGate(limit: configuration.maxConcurrentPublishes)
        self.responses = PackageResponseCache(maxBytes: configuration.responseCacheBytes)
        self.repositories = RepositoryIndex(registry: registry)
    }

    func add(to router: Router<AgoraRequestContext>) {
        for method in [HTTPRequest.Method.get, .head] {
            router.on("/{scope}/{name}", method: method) { try self.releases($0, $1) }
            router.on("/{scope}/{name}/{version}", method: method) { try self.release($0, $1) }
            router.on("/{scope}/{name}/{version}/Package.swift", method: method) { try self.manifest($0, $1) }
            router.on("/identifiers", method: method) { try self.identifiers($0, $1) }
        }
        router.put("/{scope}/{name}/{version}") { try await self.publish($0, $1) }
        router.post("/login") { try self.login($0, $1) }
    }

    // MARK: Reads

    /// `GET /{scope}/{name}`: every release, newest first; yanked ones carry a 410 problem so
    /// SwiftPM leaves them out of resolution.
    func releases(_ request: Request, _ context: AgoraRequestContext) throws -> Response {
        try APIVersion.check(request)
        let name = try PathName.strip(context.parameters.require("name"), suffix: ".json")
        let pageText = request.uri.queryParameters.get("page")
        return try cached(request, scope: context.parameters.require("scope"), name: name, variant: Variant.list(page: pageText)) { info, base in
            try releaseList(info, base: base + "/" + info.package, pageText: pageText)
        }
    }

    func releaseList(_ info: PackageInfo, base: String, pageText: String?) throws -> Response {
        let pageSize = configuration.releasesPerPage
        let pageCount = max(1, (info.releases.count + pageSize - 1) / pageSize)
        let page = try pageText.map { text -> Int in
            guard let page = Int(text), (1...pageCount).contains(page) else {
                throw Problem(.badRequest, "page must be a number from 1 to \(pageCount)")
            }
            return page
        } ?? 1
        struct Entry: Encodable {
            struct Gone: Encodable {
                let status = 410
                let title = "Gone"
                let detail: String
            }

            let url: String
            let problem: Gone?
        }
        var releases: [String: Entry] = [:]
        for release in info.releases.dropFirst((page - 1) * pageSize).prefix(pageSize) {
            let gone = release.yanked ? Entry.Gone(detail: "yanked: \(release.yankReason ?? "")") : nil
            releases[release.version] = Entry(url: base + "/" + release.version, problem: gone)
        }
        var links: [String] = []
        if let latest = info.latest { links.append("<\(base)/\(latest)>; rel=\"latest-version\"") }
        if pageCount > 1 {
            links.append("<\(base)?page=1>; rel=\"first\"")
            if page > 1 { links.append("<\(base)?page=\(page - 1)>; rel=\"prev\"") }
            if page < pageCount { links.append("<\(base)?page=\(page + 1)>; rel=\"next\"") }
            links.append("<\(base)?page=\(pageCount)>; rel=\"last\"")
        }
        var headers: HTTPFields = [:]
        if !links.isEmpty { headers[.link] = links.joined(separator: ", ") }
        return try Reply.json(["releases": releases], headers: headers)
    }

    struct ReleaseMetadata: Encodable {
        struct Resource: Encodable {
            struct Signing: Encodable {
                let signatureBase64Encoded: String
                let signatureFormat: String
            }

            let name = "source-archive"
            let type = "application/zip"
            let checksum: String
            let signing: Signing?
        }

        struct Metadata: Encodable {
            struct Author: Encodable {
                let name: String
            }

            let description: String?
            let licenseURL: String?
            let author: Author?
            let repositoryURLs: [String]?
            /// Agora's own facts: the signed event and the key that published the release.
            let agoraEvent: String
            let agoraPublisher: String
            let agoraYanked: Bool
        }

        let id: String
        let version: String
        let resources: [Resource]
        let metadata: Metadata
        let publishedAt: String?
    }

    /// `GET /{scope}/{name}/{version}` (metadata) and `…/{version}.zip` (the archive).
    func release(_ request: Request, _ context: AgoraRequestContext) throws -> Response {
        let versionText = try context.parameters.require("version")
        if versionText.hasSuffix(".zip") {
            return try archive(request, context, version: String(versionText.dropLast(4)))
        }
        try APIVersion.check(request)
        let version = PathName.strip(versionText, suffix: ".json")
        return try cached(
            request, scope: context.parameters.require("scope"), name: context.parameters.require("name"), variant: Variant.release(version)
        ) { info, base in
            try releaseMetadata(info, base: base + "/" + info.package, release: find(version, in: info))
        }
    }

    func releaseMetadata(_ info: PackageInfo, base: String, release: PackageInfo.Release) throws -> Response {
        let manifest = release.manifest
        let published = try publishedEvent(release)
        let signing = published?.body.flatMap { body in
            body.archiveSignature.isEmpty
                ? nil : ReleaseMetadata.Resource.Signing(
                    signatureBase64Encoded: Data(body.archiveSignature).base64EncodedString(), signatureFormat: body.signatureFormat)
        }
        let metadata = ReleaseMetadata(
            id: info.package.replacingOccurrences(of: "/", with: "."), version: release.version,
            resources: [.init(checksum: release.digest, signing: signing)],
            metadata: .init(
                description: manifest?.description.isEmpty == false ? manifest?.description : nil,
                licenseURL: manifest?.license, author: manifest?.authors.first.map { .init(name: $0) },
                repositoryURLs: manifest.flatMap { $0.repositoryURLs.isEmpty ? nil : $0.repositoryURLs },
                agoraEvent: release.event, agoraPublisher: release.principal, agoraYanked: release.yanked),
            publishedAt: published.map { Self.iso8601(milliseconds: $0.timestamp) })
        let available = info.releases.filter { !$0.yanked }
        var links: [String] = []
        if let latest = info.latest { links.append("<\(base)/\(latest)>; rel=\"latest-version\"") }
        if let index = available.firstIndex(where: { $0.version == release.version }) {
            if index > 0 { links.append("<\(base)/\(available[index - 1].version)>; rel=\"successor-version\"") }
            if index + 1 < available.count { links.append("<\(base)/\(available[index + 1].version)>; rel=\"predecessor-version\"") }
        }
        var headers: HTTPFields = [:]
        if !links.isEmpty { headers[.link] = links.joined(separator: ", ") }
        return try Reply.json(metadata, headers: headers)
    }

    func archive(_ request: Request, _ context: AgoraRequestContext, version: String) throws -> Response {
        try APIVersion.check(request)
        return try cached(
            request, scope: context.parameters.require("scope"), name: context.parameters.require("name"), variant: Variant.archive(version)
        ) { info, _ in
            let release = try find(version, in: info)
            let bytes = try archiveBytes(release)
            var headers: HTTPFields = [:]
            headers[.cacheControl] = "public, immutable"
            headers[.contentDisposition] = "attachment; filename=\"\(info.package.split(separator: "/").last ?? "")-\(release.version).zip\""
            headers[.digest] = "sha-256=" + Data(Hex.decode(release.digest) ?? []).base64EncodedString()
            if let body = try publishedEvent(release)?.body, !body.archiveSignature.isEmpty {
                headers[.swiftPackageSignatureFormat] = body.signatureFormat
                headers[.swiftPackageSignature] = Data(body.archiveSignature).base64EncodedString()
            }
            return Reply.bytes(bytes, contentType: "application/zip", headers: headers)
        }
    }

    /// `GET …/{version}/Package.swift[?swift-version=X]`: the manifest as published, with a
    /// `Link` to every `Package@swift-X.swift` variant; a variant the release lacks redirects
    /// (303) to the plain manifest, as the spec says.
    func manifest(_ request: Request, _ context: AgoraRequestContext) throws -> Response {
        try APIVersion.check(request)
        let version = try context.parameters.require("version")
        let swiftVersion = request.uri.queryParameters.get("swift-version")
        return try cached(
            request, scope: context.parameters.require("scope"), name: context.parameters.require("name"),
            variant: Variant.manifest(version, swiftVersion: swiftVersion)
        ) { info, base in
            try manifestFile(info, base: base, release: find(version, in: info), swiftVersion: swiftVersion)
        }
    }

    func manifestFile(_ info: PackageInfo, base: String, release: PackageInfo.Release, swiftVersion: String?) throws -> Response {
        let files = try manifests.files(
            digest: Hex.decode(release.digest) ?? [], archive: { try archiveBytes(release) }, limits: configuration.archiveLimits)
        let plainURL = base + "/" + info.package + "/" + release.version + "/Package.swift"
        var fileName = "Package.swift"
        if let swiftVersion {
            let variant = "Package@swift-\(swiftVersion).swift"
            guard files.manifests[variant] != nil, ManifestFiles.swiftVersion(ofManifest: variant) != nil else {
                var headers: HTTPFields = [:]
                headers[.location] = plainURL
                return Response(status: .seeOther, headers: headers)
            }
            fileName = variant
        }
        guard let bytes = files.manifests[fileName] else {
            throw Problem(.notFound, "\(info.package) \(release.version) has no \(fileName)")
        }
        var headers: HTTPFields = [:]
        headers[.cacheControl] = "public, immutable"
        headers[.contentDisposition] = "attachment; filename=\"\(fileName)\""
        if fileName == "Package.swift" {
            let alternates = files.manifests.keys.sorted().compactMap { name -> String? in
                guard let swiftVersion = ManifestFiles.swiftVersion(ofManifest: name) else { return nil }
                let tools = ManifestFiles.toolsVersion(of: files.manifests[name] ?? []).map { "; swift-tools-version=\"\($0)\"" } ?? ""
                return "<\(plainURL)?swift-version=\(swiftVersion)>; rel=\"alternate\"; filename=\"\(name)\"\(tools)"
            }
            if !alternates.isEmpty { headers[.link] = alternates.joined(separator: ", ") }
        }
        return Reply.bytes(bytes, contentType: "text/x-swift", headers: headers)
    }

    /// `GET /identifiers?url=`: the packages whose releases declare that source repository
    /// (`repositoryURLs` in the publisher's metadata), compared as SwiftPM compares package
    /// locations; 404 when none, which tells SwiftPM to keep using source control.
    func identifiers(_ request: Request, _ context: AgoraRequestContext) throws -> Response {
        try APIVersion.check(request)
        guard let url = request.uri.queryParameters.get("url"), !url.isEmpty else {
            throw Problem(.badRequest, "the url query parameter is required")
        }
        guard RepositoryURL.canonical(url) != nil else {
            throw Problem(.badRequest, "the url query parameter is not a repository URL (1–\(RepositoryURL.maxLength) bytes)")
        }
        let identifiers = try repositories.identifiers(for: url)
        guard !identifiers.isEmpty else {
            throw Problem(.notFound, "no package on this node declares the repository \(url)")
        }
        return try Reply.json(["identifiers": identifiers])
    }

    // MARK: Writes

    func login(_ request: Request, _ context: AgoraRequestContext) throws -> Response {
        try authorize(request, context)
        return try Reply.json([String: String]())
    }

    /// `PUT /{scope}/{name}/{version}`: multipart with `source-archive` and optional
    /// `metadata`; signed by this node's publisher key. Same bytes again is 201 (idempotent),
    /// other bytes for a published version 409.
    func publish(_ request: Request, _ context: AgoraRequestContext) async throws -> Response {
        try APIVersion.check(request)
        try authorize(request, context)
        let package = try identity(context.parameters.require("scope"), context.parameters.require("name"))
        let version = try context.parameters.require("version")
        guard (try? SemanticVersion(parsing: version)) != nil else {
            throw Problem(.badRequest, "\"\(version.prefix(100))\" is not a semantic version")
        }
        let limit = configuration.maxPublishBody
        if let declared = request.headers[.contentLength].flatMap(Int.init), declared > limit {
            throw Problem(.contentTooLarge, "the request body is \(declared) bytes, over this node's limit of \(limit)")
        }
        guard let contentType = request.headers[.contentType] else {
            throw Problem(.unsupportedMediaType, "a publish request is multipart/form-data")
        }
        let boundary: String
        do {
            boundary = try Multipart.boundary(contentType: contentType)
        } catch {
            throw Problem(.unsupportedMediaType, error.description)
        }
        guard publishes.enter() else {
            var headers: HTTPFields = [:]
            headers[.retryAfter] = "5"
            throw Problem(.tooManyRequests, "\(configuration.maxConcurrentPublishes) publishes are in progress; try again in 5 seconds", headers: headers)
        }
        defer { publishes.leave() }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: limit)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw Problem(.contentTooLarge, "the request body is over the \(limit)-byte limit")
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            // The client went away mid-upload: its fault, answered (if it still listens) not logged.
            throw Problem(.badRequest, "the request body could not be read: \(error)")
        }
        let parts: [MultipartPart]
        do {
            parts = try Multipart.parse(Array(buffer: body), boundary: boundary)
        } catch {
            throw Problem(.badRequest, "malformed multipart body: \(error)")
        }
        guard let archive = parts.first(where: { $0.name == "source-archive" }) else {
            throw Problem(.unprocessableContent, "the multipart body has no source-archive part")
        }
        let upload = ArchiveUpload(
            package: package, version: version, archive: archive.body, metadata: parts.first { $0.name == "metadata" }?.body,
            signature: try signature(request, parts))
        let registry = self.registry
        let limits = configuration.archiveLimits
        let result = try await NIOThreadPool.singleton.runIfActive { try registry.publish(upload, limits: limits) }
        var headers: HTTPFields = [:]
        headers[.location] = baseURL(request) + "/" + package.scope + "/" + package.name + "/" + result.version
        return try Reply.json(result, status: .created, headers: headers)
    }

    /// The client's package signature: the format header and the signature parts come together
    /// or not at all.
    func signature(_ request: Request, _ parts: [MultipartPart]) throws -> ArchiveUpload.Signature? {
        let format = request.headers[.swiftPackageSignatureFormat]
        let archive = parts.first { $0.name == "source-archive-signature" }?.body
        let metadata = parts.first { $0.name == "metadata-signature" }?.body
        guard let format else {
            guard archive == nil, metadata == nil else {
                throw Problem(.unprocessableContent, "signature parts need the X-Swift-Package-Signature-Format header")
            }
            return nil
        }
        guard let archive else {
            throw Problem(.unprocessableContent, "X-Swift-Package-Signature-Format came without a source-archive-signature part")
        }
        return ArchiveUpload.Signature(format: format, archive: archive, metadata: metadata ?? [])
    }

    func authorize(_ request: Request, _ context: AgoraRequestContext) throws {
        let decision = authorization.decide(
            authorization: request.headers[.authorization], overTLS: configuration.usesTLS, fromLoopback: context.isLoopback)
        if case .denied(let reason) = decision {
            var headers: HTTPFields = [:]
            headers[.wwwAuthenticate] = "Bearer"
            throw Problem(.unauthorized, reason, headers: headers)
        }
    }

    // MARK: Helpers

    func identity(_ scope: String, _ name: String) throws -> PackageIdentity {
        do {
            return try PackageIdentity(scope: scope, name: name)
        } catch {
            throw Problem(.badRequest, error.description)
        }
    }

    /// A registry read answered from `responses`: `render` runs only when the package changed
    /// since the response was made (or it was evicted), and gets the package and the base URL.
    func cached(
        _ request: Request, scope: String, name: String, variant: String,
        render: (PackageInfo, String) throws -> Response
    ) throws -> Response {
        let package = try identity(scope, name)
        let storeVersion = registry.store.environment.lastCommittedTransaction
        let base = baseURL(request)
        let variantKey = Variant.key(variant, base: base)
        if let hit = responses.hit(key: package.key, version: storeVersion, variant: variantKey) { return hit }
        let snapshot = try responses.snapshot(key: package.key, version: storeVersion) { try registry.info(package) }
        return try responses.response(key: package.key, variant: variantKey, snapshot: snapshot) {
            var response = try render(snapshot.info, base)
            // Set here so a kept response leaves `ProblemMiddleware` and the fast path nothing to add.
            response.headers[.contentVersion] = "1"
            let headerBytes = response.headers.reduce(0) { $0 + $1.name.rawName.utf8.count + $1.value.utf8.count + 4 }
            return (response, (response.body.contentLength ?? 0) + headerBytes + variantKey.utf8.count)
        }
    }

    func find(_ version: String, in info: PackageInfo) throws -> PackageInfo.Release {
        guard let release = info.releases.first(where: { $0.version == version }) else {
            throw Problem(.notFound, "\(info.package) has no release \(version.prefix(100))")
        }
        return release
    }

    /// The release's event: when it was published, and what it signed beyond the views
    /// (SwiftPM's package signature).
    func publishedEvent(_ release: PackageInfo.Release) throws -> (timestamp: UInt64, body: ReleasePublished?)? {
        guard let event = try EventID(hex: release.event).flatMap({ try registry.store.event(id: $0) }) else { return nil }
        guard case .releasePublished(let body)? = try? event.decodedBody() else { return (event.timestamp, nil) }
        return (event.timestamp, body)
    }

    func archiveBytes(_ release: PackageInfo.Release) throws -> [UInt8] {
        guard let digest = BlobDigest(hex: release.digest), let blob = try registry.store.blob(digest) else {
            throw Problem(.notFound, "this node does not hold the archive of \(release.version) (sha256 \(release.digest)) yet")
        }
        // The node's cache pass writes the use; evicting what clients fetch would defeat it.
        registry.store.noteBlobUse(digest)
        return blob
    }

    /// Absolute URLs for `Link` and `Location`, built from the Host the client used.
    func baseURL(_ request: Request) -> String {
        let host = request.head.authority.flatMap { authority in
            authority.isEmpty || authority.utf8.contains(where: { " /<>\"".utf8.contains($0) }) ? nil : authority
        } ?? "\(configuration.host):\(configuration.port)"
        return (configuration.usesTLS ? "https://" : "http://") + host
    }

    /// `2026-12-01T12:00:00.123Z`; formatted with `gmtime_r` because a new
    /// `ISO8601DateFormatter` per request costs more than the rest of the metadata response.
    static func iso8601(milliseconds: UInt64) -> String {
        var seconds = time_t(clamping: milliseconds / 1000)
        var parts = tm()
        guard gmtime_r(&seconds, &parts) != nil else { return "1970-01-01T00:00:00.000Z" }
        func pad(_ value: Int32, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(Int32(milliseconds % 1000), 3))Z"
    }
}

/// Path parts may carry the `.json` suffix the spec allows.
enum PathName {
    static func strip(_ text: String, suffix: String) -> String {
        text.hasSuffix(suffix) ? String(text.dropLast(suffix.count)) : text
    }
}

/// Counts publishes in flight; past the limit a publish is refused with 429 before its body
/// is read, so memory stays within `limit × maxPublishBody`.
final class PublishGate: Sendable {
    let limit: Int
    let inFlight = Mutex(0)

    init(limit: Int) {
        self.limit = limit
    }

    func enter() -> Bool {
        inFlight.withLock { count in
            guard count < limit else { return false }
            count += 1
            return true
        }
    }

    func leave() {
        inFlight.withLock { $0 -= 1 }
    }
}
