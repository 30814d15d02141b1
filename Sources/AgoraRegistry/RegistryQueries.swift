import AgoraCore
import AgoraStore
import AgoraViews
import Foundation

/// What `agora info` shows: every release of a package, by key, with its signed facts.
public struct PackageInfo: Sendable, Encodable {
    public struct Release: Sendable, Encodable {
        public let version: String
        public let author: String
        public let principal: String
        public let digest: String
        public let size: UInt64
        public let event: String
        public let yanked: Bool
        public let yankReason: String?
        public let manifest: Manifest?
    }

    public struct Claim: Sendable, Encodable {
        public let key: String
        public let firstRelease: String
        public let authorisedBy: String?
    }

    public let package: String
    public let latest: String?
    public let contested: Bool
    public let claimants: [Claim]
    public let pinned: String?
    public let releases: [Release]
}

public struct LogPage: Sendable, Encodable {
    public struct Entry: Sendable, Encodable {
        public let localSeq: UInt64
        public let id: String
        public let author: String
        public let seq: UInt64
        public let timestamp: UInt64
        public let kind: String
        public let summary: String
    }

    public let entries: [Entry]
    /// Pass as `--since` to get the next page; nil when this page reached the end of the log.
    public let next: UInt64?
}

extension Registry {
    public func search(_ query: String, filters: SearchFilters) throws -> [SearchHit] {
        try store.search(query: query, filters: filters)
    }

    public func info(_ package: PackageIdentity) throws -> PackageInfo {
        let key = PackageKey(scope: package.scope, name: package.name)
        guard let state = try store.packageState(key) else {
            throw RegistryError("no package \(package) in the local index; try `agora search \(package.name)`", code: .notFound)
        }
        let ordered = state.releases.sorted { lhs, rhs in
            VersionOrder.precedes(rhs.version, lhs.version)
        }
        let releases = ordered.map { release in
            PackageInfo.Release(
                version: release.version, author: release.author.hex, principal: release.principal.hex,
                digest: Hex.encode(release.archiveDigest), size: release.archiveSize, event: release.event.hex,
                yanked: release.yanked, yankReason: release.yanked ? release.yankReason : nil,
                manifest: try? Manifest.decode(json: release.manifest))
        }
        return PackageInfo(
            package: "\(state.displayScope)/\(state.displayName)", latest: state.current.map(\.version),
            contested: state.contested,
            claimants: state.claimants.map { PackageInfo.Claim(key: $0.principal.hex, firstRelease: $0.firstRelease.hex, authorisedBy: $0.authorisedBy?.hex) },
            pinned: try store.pinnedKey(for: key.scope)?.hex, releases: releases)
    }

    /// A page of the local log: the changes feed a mirror or an auditor follows.
    public func log(since: UInt64, limit: Int) throws -> LogPage {
        let page = try store.events(since: since, limit: max(1, min(limit, 10_000)))
        let entries = page.map { entry in
            LogPage.Entry(
                localSeq: entry.localSeq, id: entry.event.id.hex, author: entry.event.author.hex, seq: entry.event.seq,
                timestamp: entry.event.timestamp, kind: entry.event.kind?.description ?? "unknown-\(entry.event.kindCode)",
                summary: Self.summary(of: entry.event))
        }
        let last = try store.lastLocalSeq()
        let next = entries.last.map(\.localSeq).flatMap { $0 < last ? $0 : nil }
        return LogPage(entries: entries, next: next)
    }

    static func summary(of event: Event) -> String {
        switch try? event.decodedBody() {
        case .releasePublished(let body): "\(body.scope)/\(body.name) \(body.version) sha256:\(Hex.encode(body.archiveDigest).prefix(16))"
        case .releaseYanked(let body): "\(body.scope)/\(body.name) \(body.version) yanked: \(body.reason)"
        case .keyRotated(let body): "key rotated to \(body.newKey.hex)"
        case .scopeTransferred(let body): "scope \(body.scope) transferred to \(body.newOwner.hex)"
        case .retrievalObserved(let body): "retrieval \(body.outcome) \(body.bytes) bytes"
        case .peerPenalised(let body): "peer penalised: \(body.reason)"
        case .unknown(let kind, let bytes): "unknown kind \(kind), \(bytes.count) bytes"
        case nil: "undecodable body"
        }
    }
}
