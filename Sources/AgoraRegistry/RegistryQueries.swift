import AgoraCore
import AgoraStore
import AgoraViews
import Foundation

/// What `agora info` shows: every release of a package, by key, with its signed facts.
public struct PackageInfo: Sendable, Encodable, Equatable {
    public struct Release: Sendable, Encodable, Equatable {
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

    public struct Claim: Sendable, Encodable, Equatable {
        public let key: String
        public let firstRelease: String
        public let authorisedBy: String?
    }

    public let package: String
    public let latest: String?
    public let contested: Bool
    public let claimants: [Claim]
    public let pinned: String?
    /// Releases by keys other than the pinned one, left out of `releases` and `latest`: in a
    /// contested scope with a pin, this node trusts only the pinned key's view.
    public let hiddenReleases: Int
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
    /// In a contested scope with a pin, a hit shows the pinned key's latest release, not
    /// whichever claimant's the shared index happens to hold.
    public func search(_ query: String, filters: SearchFilters) throws -> [SearchHit] {
        try store.search(query: query, filters: filters).map { hit in
            guard hit.summary.contested, let pinned = try store.pinnedKey(for: hit.summary.package.scope),
                  let state = try store.packageState(hit.summary.package),
                  let release = try pinnedView(of: state, pinned: pinned).latest
            else { return hit }
            var hit = hit
            hit.summary.version = release.version
            hit.summary.publisher = release.principal
            hit.summary.yanked = release.yanked
            if let manifest = try? Manifest.decode(json: release.manifest) { hit.summary.description = manifest.description }
            return hit
        }
    }

    /// The releases a node shows for a package: all of them, unless the scope is contested and
    /// pinned, when only the pinned principal's count.
    func pinnedView(of state: PackageState, pinned: PublicKey?) throws -> (releases: [PackageRelease], latest: PackageRelease?) {
        guard state.contested, let pinned else { return (state.releases, state.current) }
        let principal = try store.principal(of: pinned)
        let releases = state.releases.filter { $0.principal == principal }
        return (releases, state.latest(of: principal) ?? releases.last)
    }

    public func info(_ package: PackageIdentity) throws -> PackageInfo {
        let key = PackageKey(scope: package.scope, name: package.name)
        guard let state = try store.packageState(key) else {
            throw RegistryError("no package \(package) in the local index; try `agora search \(package.name)`", code: .notFound)
        }
        let pinned = try store.pinnedKey(for: key.scope)
        let view = try pinnedView(of: state, pinned: pinned)
        let ordered = view.releases.sorted { lhs, rhs in
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
            package: "\(state.displayScope)/\(state.displayName)", latest: view.latest.map(\.version),
            contested: state.contested,
            claimants: state.claimants.map { PackageInfo.Claim(key: $0.principal.hex, firstRelease: $0.firstRelease.hex, authorisedBy: $0.authorisedBy?.hex) },
            pinned: pinned?.hex, hiddenReleases: state.releases.count - view.releases.count, releases: releases)
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
        case .retrievalsCounted(let body): "retrievals counted: \(body.counts.count) packages in period \(body.period)"
        case .equivocationReported(let body):
            body.proof.map { "equivocation by \($0.author.short) at seq \($0.seq)" } ?? "equivocation report (invalid proof)"
        case .unknown(let kind, let bytes): "unknown kind \(kind), \(bytes.count) bytes"
        case nil: "undecodable body"
        }
    }
}
