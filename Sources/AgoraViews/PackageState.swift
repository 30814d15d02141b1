import AgoraCore
import AgoraStore

/// A package's identity: `scope/name`, compared lowercased everywhere. The views hold only
/// names SwiftPM's registry rule admits (`RegistryViews.packageKey(scope:name:)`), which are
/// ASCII, so the case folding is ASCII's: a key made from other text (a query, a test) is
/// kept as its bytes and names nothing the views hold. Compared and hashed by bytes, as the
/// views store keys: the prepared batches and the rebuild group packages by key bytes.
public struct PackageKey: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let scope: String
    public let name: String

    public init(scope: String, name: String) {
        self.scope = PackageIdentity.asciiLowercased(scope)
        self.name = PackageIdentity.asciiLowercased(name)
    }

    /// Parses `scope/name` at its first `/`; nil unless both halves are non-empty and the name
    /// holds no other `/`.
    public init?(_ text: String) {
        let slash = UInt8(ascii: "/")
        guard let separator = text.utf8.firstIndex(of: slash) else { return nil }
        let scope = text.utf8[..<separator], name = text.utf8[text.utf8.index(after: separator)...]
        guard !scope.isEmpty, !name.isEmpty, !name.contains(slash) else { return nil }
        self.init(scope: String(decoding: scope, as: UTF8.self), name: String(decoding: name, as: UTF8.self))
    }

    public var description: String { "\(scope)/\(name)" }

    public static func < (lhs: PackageKey, rhs: PackageKey) -> Bool {
        lhs.description.utf8.lexicographicallyPrecedes(rhs.description.utf8)
    }

    public static func == (lhs: PackageKey, rhs: PackageKey) -> Bool {
        sameBytes(lhs.scope, rhs.scope) && sameBytes(lhs.name, rhs.name)
    }

    public func hash(into hasher: inout Hasher) {
        Self.hashBytes(scope, into: &hasher)
        Self.hashBytes(name, into: &hasher)
    }

    private static func sameBytes(_ lhs: String, _ rhs: String) -> Bool {
        var (lhs, rhs) = (lhs, rhs)
        return lhs.withUTF8 { left in rhs.withUTF8 { right in left.elementsEqual(right) } }
    }

    /// The count first, so `("ab", "c")` and `("a", "bc")` hash apart.
    private static func hashBytes(_ text: String, into hasher: inout Hasher) {
        var text = text
        text.withUTF8 { bytes in
            hasher.combine(bytes.count)
            hasher.combine(bytes: UnsafeRawBufferPointer(bytes))
        }
    }
}

/// One version of a package as published by one principal.
public struct PackageRelease: Sendable, Hashable {
    public var principal: PublicKey
    public var version: String
    public var author: PublicKey
    public var seq: UInt64
    public var event: EventID
    public var archiveDigest: [UInt8]
    public var archiveSize: UInt64
    /// Canonical JSON exactly as the release event carries it. Not part of the stored record
    /// (the log holds it once, under `event`); the store's reads fill it in from the log.
    public var manifest: [UInt8]
    public var yanked: Bool
    public var yankReason: String
    /// The release event's author clock (ms): shown and sorted by, never a rule's input.
    public var timestamp: UInt64

    public init(
        principal: PublicKey, version: String, author: PublicKey, seq: UInt64, event: EventID,
        archiveDigest: [UInt8], archiveSize: UInt64, manifest: [UInt8], yanked: Bool = false, yankReason: String = "",
        timestamp: UInt64 = 0
    ) {
        self.principal = principal
        self.version = version
        self.author = author
        self.seq = seq
        self.event = event
        self.archiveDigest = archiveDigest
        self.archiveSize = archiveSize
        self.manifest = manifest
        self.yanked = yanked
        self.yankReason = yankReason
        self.timestamp = timestamp
    }

    /// Releases sort by principal, then version precedence.
    static func precedes(_ lhs: PackageRelease, _ rhs: PackageRelease) -> Bool {
        if lhs.principal != rhs.principal { return lhs.principal < rhs.principal }
        return VersionOrder.precedes(lhs.version, rhs.version)
    }

    func encoded() -> [UInt8] {
        var writer = CanonicalWriter(capacity: 192)
        writer.bytes(1, principal.bytes)
        writer.string(2, version)
        writer.bytes(3, author.bytes)
        writer.varint(4, seq)
        writer.bytes(5, event.bytes)
        writer.bytes(6, archiveDigest)
        writer.varint(7, archiveSize)
        writer.varint(9, yanked ? 1 : 0)
        writer.string(10, yankReason)
        writer.varint(11, timestamp)
        return writer.bytes
    }

    init(decoding bytes: ArraySlice<UInt8>) throws(ViewDecodeError) {
        let reader = try ViewRecord.reader(bytes)
        guard reader.unknown(known: [1, 2, 3, 4, 5, 6, 7, 9, 10, 11]).isEmpty else { throw ViewDecodeError("unknown field in release record") }
        principal = try ViewRecord.key(ViewRecord.read { () throws(CanonicalDecodeError) in try reader.bytes(1) })
        version = try ViewRecord.read { () throws(CanonicalDecodeError) in try reader.string(2) }
        author = try ViewRecord.key(ViewRecord.read { () throws(CanonicalDecodeError) in try reader.bytes(3) })
        seq = try ViewRecord.read { () throws(CanonicalDecodeError) in try reader.uint(4) }
        event = try ViewRecord.eventID(ViewRecord.read { () throws(CanonicalDecodeError) in try reader.bytes(5) })
        archiveDigest = try ViewRecord.read { () throws(CanonicalDecodeError) in try reader.bytes(6, exactly: 32) }
        archiveSize = try ViewRecord.read { () throws(CanonicalDecodeError) in try reader.uint(7) }
        manifest = []
        let flag = try ViewRecord.read { () throws(CanonicalDecodeError) in try reader.uint(9) }
        guard flag <= 1 else { throw ViewDecodeError("yanked flag \(flag)") }
        yanked = flag == 1
        yankReason = try ViewRecord.read { () throws(CanonicalDecodeError) in try reader.string(10) }
        timestamp = try ViewRecord.read { () throws(CanonicalDecodeError) in try reader.uint(11) }
        guard !version.isEmpty, seq >= 1 else { throw ViewDecodeError("release record lacks version or seq") }
    }
}

/// Everything the views know about one package: the record behind `info`, `install` and search.
public struct PackageState: Sendable, Hashable {
    public var key: PackageKey
    /// Scope and name spelled as in the first release (canonical order), for display.
    public var displayScope: String
    public var displayName: String
    /// Sorted by principal, then version precedence.
    public var releases: [PackageRelease]
    /// Principals that published this package, sorted by principal.
    public var claimants: [Claimant]
    /// Two or more principals published it without a transfer between them.
    public var contested: Bool

    public init(
        key: PackageKey, displayScope: String, displayName: String,
        releases: [PackageRelease], claimants: [Claimant], contested: Bool
    ) {
        self.key = key
        self.displayScope = displayScope
        self.displayName = displayName
        self.releases = releases.sorted(by: PackageRelease.precedes)
        self.claimants = claimants.sorted { $0.principal < $1.principal }
        self.contested = contested
    }

    /// The highest non-yanked version of each principal, in principal order.
    public var latestByPrincipal: [PublicKey: PackageRelease] {
        var out: [PublicKey: PackageRelease] = [:]
        for release in releases where !release.yanked { out[release.principal] = release }
        return out
    }

    public func latest(of principal: PublicKey) -> PackageRelease? {
        releases.last { $0.principal == principal && !$0.yanked }
    }

    /// The release search shows: the highest non-yanked version of any principal (ties go to the
    /// smaller principal), or the highest yanked one when everything is yanked.
    public var current: PackageRelease? {
        func better(_ lhs: PackageRelease, than rhs: PackageRelease) -> Bool {
            switch VersionOrder.compare(lhs.version, rhs.version) {
            case .greater: return true
            case .less: return false
            case .equal: return lhs.principal < rhs.principal
            }
        }
        let live = releases.filter { !$0.yanked }
        let pool = live.isEmpty ? releases : live
        return pool.reduce(nil) { best, release in
            guard let best else { return release }
            return better(release, than: best) ? release : best
        }
    }

    /// The releases of `version` by any principal, build metadata ignored: `1.0.0+a` and
    /// `1.0.0+b` are one version.
    public func releases(of version: String) -> [PackageRelease] {
        let key = SemanticVersion.identityKey(version)
        return releases.filter { SemanticVersion.identityKey($0.version) == key }
    }

    public func encoded() -> [UInt8] {
        var writer = CanonicalWriter(capacity: 256)
        writer.string(1, key.scope)
        writer.string(2, key.name)
        writer.string(3, displayScope)
        writer.string(4, displayName)
        writer.varint(5, contested ? 1 : 0)
        var out = writer.bytes
        ViewRecord.appendRepeated(14, claimants.map { $0.encoded() }, to: &out)
        ViewRecord.appendRepeated(15, releases.map { $0.encoded() }, to: &out)
        return out
    }

    public init(decoding bytes: some Collection<UInt8>) throws(ViewDecodeError) {
        let reader = try ViewRecord.reader(bytes)
        guard reader.unknown(known: [1, 2, 3, 4, 5, 14, 15]).isEmpty else { throw ViewDecodeError("unknown field in package record") }
        let scope = try ViewRecord.read { () throws(CanonicalDecodeError) in try reader.string(1) }
        let name = try ViewRecord.read { () throws(CanonicalDecodeError) in try reader.string(2) }
        guard let key = RegistryViews.packageKey(scope: scope, name: name), key.scope == scope, key.name == name else {
            throw ViewDecodeError("package record key is missing, not lowercased or not a SwiftPM identity")
        }
        self.key = key
        displayScope = try ViewRecord.read { () throws(CanonicalDecodeError) in try reader.string(3) }
        displayName = try ViewRecord.read { () throws(CanonicalDecodeError) in try reader.string(4) }
        let flag = try ViewRecord.read { () throws(CanonicalDecodeError) in try reader.uint(5) }
        guard flag <= 1 else { throw ViewDecodeError("contested flag \(flag)") }
        contested = flag == 1
        claimants = try ViewRecord.messages(reader, 14).map { (slice) throws(ViewDecodeError) in try Claimant(decoding: slice) }
        releases = try ViewRecord.messages(reader, 15).map { (slice) throws(ViewDecodeError) in try PackageRelease(decoding: slice) }
    }
}
