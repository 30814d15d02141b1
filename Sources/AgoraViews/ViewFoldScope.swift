import AgoraCore
import AgoraStore

/// A principal that published into a scope (or package), with the release that shows it.
public struct Claimant: Sendable, Hashable {
    public var principal: PublicKey
    /// The claimant's first release in canonical (author, seq) order.
    public var firstRelease: EventID
    /// The principal whose transfer authorised this claim; nil for an independent claim.
    public var authorisedBy: PublicKey?

    public init(principal: PublicKey, firstRelease: EventID, authorisedBy: PublicKey? = nil) {
        self.principal = principal
        self.firstRelease = firstRelease
        self.authorisedBy = authorisedBy
    }

    func encoded() -> [UInt8] {
        var writer = CanonicalWriter(capacity: 112)
        writer.bytes(1, principal.bytes)
        writer.bytes(2, firstRelease.bytes)
        if let authorisedBy { writer.bytes(3, authorisedBy.bytes) }
        return writer.bytes
    }

    init(decoding bytes: ArraySlice<UInt8>) throws(ViewDecodeError) {
        let reader = try ViewRecord.reader(bytes)
        principal = try ViewRecord.key(ViewRecord.read { () throws(CanonicalDecodeError) in try reader.bytes(1) })
        firstRelease = try ViewRecord.eventID(ViewRecord.read { () throws(CanonicalDecodeError) in try reader.bytes(2) })
        let by = try ViewRecord.read { () throws(CanonicalDecodeError) in try reader.bytes(3) }
        authorisedBy = by.isEmpty ? nil : try ViewRecord.key(by)
    }
}

/// A ScopeTransferred event, with both ends resolved to principals.
public struct ScopeTransfer: Sendable, Hashable {
    public var from: PublicKey
    public var to: PublicKey
    public var event: EventID

    public init(from: PublicKey, to: PublicKey, event: EventID) {
        self.from = from
        self.to = to
        self.event = event
    }

    func encoded() -> [UInt8] {
        var writer = CanonicalWriter(capacity: 112)
        writer.bytes(1, from.bytes)
        writer.bytes(2, to.bytes)
        writer.bytes(3, event.bytes)
        return writer.bytes
    }

    init(decoding bytes: ArraySlice<UInt8>) throws(ViewDecodeError) {
        let reader = try ViewRecord.reader(bytes)
        from = try ViewRecord.key(ViewRecord.read { () throws(CanonicalDecodeError) in try reader.bytes(1) })
        to = try ViewRecord.key(ViewRecord.read { () throws(CanonicalDecodeError) in try reader.bytes(2) })
        event = try ViewRecord.eventID(ViewRecord.read { () throws(CanonicalDecodeError) in try reader.bytes(3) })
    }
}

/// Who claims a scope and whether the claims conflict.
///
/// There is no global "first" without a central authority, so a scope with two or more
/// independent claimants is *contested* and every node says so the same way; which key to
/// trust is a local decision (pins), not part of this view.
public struct ScopeState: Sendable, Hashable {
    public var scope: String
    /// Sorted by principal.
    public var claimants: [Claimant]
    /// Transfers in canonical order of their events.
    public var transfers: [ScopeTransfer]
    public var contested: Bool

    public init(scope: String, claimants: [Claimant], transfers: [ScopeTransfer], contested: Bool) {
        self.scope = scope
        self.claimants = claimants
        self.transfers = transfers
        self.contested = contested
    }

    public func encoded() -> [UInt8] {
        var writer = CanonicalWriter(capacity: 256)
        writer.string(1, scope)
        writer.varint(2, contested ? 1 : 0)
        var out = writer.bytes
        ViewRecord.appendRepeated(14, claimants.map { $0.encoded() }, to: &out)
        ViewRecord.appendRepeated(15, transfers.map { $0.encoded() }, to: &out)
        return out
    }

    public init(decoding bytes: some Collection<UInt8>) throws(ViewDecodeError) {
        let reader = try ViewRecord.reader(bytes)
        scope = try ViewRecord.read { () throws(CanonicalDecodeError) in try reader.string(1) }
        let flag = try ViewRecord.read { () throws(CanonicalDecodeError) in try reader.uint(2) }
        guard flag <= 1 else { throw ViewDecodeError("contested flag \(flag)") }
        contested = flag == 1
        claimants = try ViewRecord.messages(reader, 14).map { (slice) throws(ViewDecodeError) in try Claimant(decoding: slice) }
        transfers = try ViewRecord.messages(reader, 15).map { (slice) throws(ViewDecodeError) in try ScopeTransfer(decoding: slice) }
        guard reader.unknown(known: [1, 2, 14, 15]).isEmpty else { throw ViewDecodeError("unknown field in scope record") }
    }
}

/// Folds the events touching one scope into its ScopeState.
public enum ScopeFold {
    /// `events` may hold anything; only releases of packages the views index
    /// (`RegistryViews.packageKey(scope:name:)`) into `scope` and transfers of `scope` count,
    /// and rotations among them retire keys (`KeyRevocations`).
    public static func fold(scope: String, events: [Event], principals: (PublicKey) -> PublicKey) -> ScopeState {
        let scope = PackageIdentity.asciiLowercased(scope)
        var firstRelease: [PublicKey: EventID] = [:]
        var transfers: [ScopeTransfer] = []
        let revocations = KeyRevocations(events: events)
        for event in ViewFold.canonicalOrder(events) where revocations.admits(event) {
            switch try? event.decodedBody() {
            case .releasePublished(let release)? where RegistryViews.packageKey(scope: release.scope, name: release.name)?.scope == scope:
                let principal = principals(event.author)
                if firstRelease[principal] == nil { firstRelease[principal] = event.id }
            case .scopeTransferred(let transfer)? where RegistryViews.scope(transfer.scope) == scope:
                transfers.append(ScopeTransfer(from: principals(event.author), to: principals(transfer.newOwner), event: event.id))
            default:
                continue
            }
        }
        let (claimants, contested) = resolveClaims(firstRelease: firstRelease, transfers: transfers)
        return ScopeState(scope: scope, claimants: claimants, transfers: transfers, contested: contested)
    }

    /// A transfer counts when its sender is a claimant or was itself authorised by one; it
    /// authorises the receiver. Claimants left unauthorised are independent, and two of them
    /// make a contest. A latecomer gains nothing by sending a transfer: it authorises the
    /// receiver, never the sender.
    static func resolveClaims(firstRelease: [PublicKey: EventID], transfers: [ScopeTransfer]) -> (claimants: [Claimant], contested: Bool) {
        var authorisedBy: [PublicKey: PublicKey] = [:]
        var changed = true
        while changed {
            changed = false
            for transfer in transfers where transfer.from != transfer.to && authorisedBy[transfer.to] == nil {
                if firstRelease[transfer.from] != nil || authorisedBy[transfer.from] != nil {
                    authorisedBy[transfer.to] = transfer.from
                    changed = true
                }
            }
        }
        // The fixpoint decides *who* is authorised; the sender recorded is the first valid
        // transfer in canonical order, which does not depend on how the loop reached it.
        var firstSender: [PublicKey: PublicKey] = [:]
        for transfer in transfers where transfer.from != transfer.to && authorisedBy[transfer.to] != nil && firstSender[transfer.to] == nil {
            if firstRelease[transfer.from] != nil || authorisedBy[transfer.from] != nil {
                firstSender[transfer.to] = transfer.from
            }
        }
        let claimants = firstRelease.sorted { $0.key < $1.key }.map {
            Claimant(principal: $0.key, firstRelease: $0.value, authorisedBy: firstSender[$0.key])
        }
        let independent = claimants.filter { $0.authorisedBy == nil }.count
        return (claimants, independent >= 2)
    }
}
