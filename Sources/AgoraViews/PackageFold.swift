import AgoraCore
import AgoraStore

/// Folds the set of events touching one package into its PackageState.
///
/// The store keeps, per package, the IDs of every release and yank of it and every transfer
/// of its scope, and re-folds from all of them whenever the set grows; the result depends only
/// on the set because the fold walks it in canonical (author, seq) order and every rule picks
/// by that order:
/// - a principal publishing the same version twice keeps the first (the lower seq); versions
///   that differ only in `+build` metadata are the same version;
/// - a yank applies to the release of that version by the yanker's principal; the first
///   yank's reason is kept;
/// - two principals publishing the package contest it, unless a scope transfer authorised one.
public enum PackageFold {
    /// `events` may hold unrelated events; they are ignored, as are releases and yanks under
    /// names the views do not index (`RegistryViews.packageKey(scope:name:)`), except that the
    /// rotations among them retire keys (`KeyRevocations`). Returns nil when no release of
    /// the package is among them (yanks and transfers alone do not make a package).
    public static func fold(package key: PackageKey, events: [Event], principals: (PublicKey) -> PublicKey) -> PackageState? {
        var releases: [ReleaseSlot: PackageRelease] = [:]
        var yanks: [ReleaseSlot: String] = [:]
        var transfers: [ScopeTransfer] = []
        var firstRelease: [PublicKey: EventID] = [:]
        var display: (scope: String, name: String)?

        let revocations = KeyRevocations(events: events)
        for event in ViewFold.canonicalOrder(events) where revocations.admits(event) {
            switch try? event.decodedBody() {
            case .releasePublished(let body)? where RegistryViews.packageKey(scope: body.scope, name: body.name) == key:
                let principal = principals(event.author)
                let slot = ReleaseSlot(principal: principal, version: SemanticVersion.identityKey(body.version))
                if display == nil { display = (body.scope, body.name) }
                if firstRelease[principal] == nil { firstRelease[principal] = event.id }
                guard releases[slot] == nil else { continue }
                releases[slot] = PackageRelease(
                    principal: principal, version: body.version, author: event.author, seq: event.seq, event: event.id,
                    archiveDigest: body.archiveDigest, archiveSize: body.archiveSize, manifest: body.manifest,
                    timestamp: event.timestamp)
            case .releaseYanked(let body)? where RegistryViews.packageKey(scope: body.scope, name: body.name) == key:
                let slot = ReleaseSlot(principal: principals(event.author), version: SemanticVersion.identityKey(body.version))
                if yanks[slot] == nil { yanks[slot] = body.reason }
            case .scopeTransferred(let body)? where RegistryViews.scope(body.scope) == key.scope:
                transfers.append(ScopeTransfer(from: principals(event.author), to: principals(body.newOwner), event: event.id))
            default:
                continue
            }
        }
        guard let display else { return nil }
        for (slot, reason) in yanks where releases[slot] != nil {
            releases[slot]?.yanked = true
            releases[slot]?.yankReason = reason
        }
        let (claimants, contested) = ScopeFold.resolveClaims(firstRelease: firstRelease, transfers: transfers)
        return PackageState(
            key: key, displayScope: display.scope, displayName: display.name,
            releases: Array(releases.values), claimants: claimants, contested: contested)
    }

    /// The package whose set an event joins in the views; nil for events that touch no single
    /// package (transfers touch a whole scope) or name one the views do not index.
    public static func packageKey(of event: Event) -> PackageKey? {
        ViewBatch.packageKey(of: try? event.decodedBody())
    }

    private struct ReleaseSlot: Hashable {
        var principal: PublicKey
        var version: Substring
    }
}
