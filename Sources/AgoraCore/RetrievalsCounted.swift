/// How often a node served or installed each package during one period: a summary signed once
/// per reporter per period, not an event per download.
///
/// Body fields: 1 period (a number the reporter's convention gives, e.g. days since 1970),
/// 2 repeated package (`scope/name`, lowercased, strictly ascending by bytes), 3 counts: one
/// varint per package, in the same order, each at least 1. One spelling per summary, as the
/// canonical encoding requires.
public struct RetrievalsCounted: Sendable, Hashable {
    /// Most packages one summary may name (the canonical reader takes 4,096 fields and an
    /// event 256 KiB); a node with more signs several summaries for the period.
    public static let maxPackages = 4_000

    public var period: UInt64
    public var counts: [(package: String, count: UInt64)]

    /// Sorts by package, merges duplicates (adding their counts, saturating) and drops zeros;
    /// throws when more than `maxPackages` remain or a name is not `scope/name`.
    public init(period: UInt64, counts: [(package: String, count: UInt64)]) throws(CanonicalDecodeError) {
        var merged: [String: UInt64] = [:]
        for entry in counts where entry.count > 0 {
            let key = entry.package.lowercased()
            let sum = merged[key, default: 0].addingReportingOverflow(entry.count)
            merged[key] = sum.overflow ? .max : sum.partialValue
        }
        guard merged.count <= Self.maxPackages else { throw CanonicalDecodeError("more than \(Self.maxPackages) packages in one summary") }
        for key in merged.keys where !Self.isPackageName(key) { throw CanonicalDecodeError("\(key) is not scope/name") }
        self.period = period
        self.counts = merged.map { ($0.key, $0.value) }.sorted { $0.package.utf8.lexicographicallyPrecedes($1.package.utf8) }
    }

    public static func == (lhs: RetrievalsCounted, rhs: RetrievalsCounted) -> Bool {
        lhs.period == rhs.period && lhs.counts.elementsEqual(rhs.counts) { $0.package == $1.package && $0.count == $1.count }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(period)
        for entry in counts {
            hasher.combine(entry.package)
            hasher.combine(entry.count)
        }
    }

    static func isPackageName(_ text: String) -> Bool {
        let parts = text.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
        return parts.count == 2 && !parts[0].isEmpty && !parts[1].isEmpty && !text.utf8.contains(0) && text == text.lowercased()
    }

    func encode(into writer: inout CanonicalWriter) {
        writer.varint(1, period)
        writer.repeated(2, counts.map(\.package))
        var packed: [UInt8] = []
        for entry in counts { Varint.encode(entry.count, into: &packed) }
        writer.bytes(3, packed)
    }

    init(_ reader: CanonicalReader) throws(CanonicalDecodeError) {
        period = try reader.uint(1)
        let packages = try reader.strings(2)
        let packed = try reader.bytes(3)
        guard packages.count <= Self.maxPackages else { throw CanonicalDecodeError("more than \(Self.maxPackages) packages in one summary") }
        var counts: [(package: String, count: UInt64)] = []
        counts.reserveCapacity(packages.count)
        var index = 0
        for package in packages {
            guard Self.isPackageName(package) else { throw CanonicalDecodeError("\(package) is not a lowercased scope/name") }
            if let last = counts.last, !last.package.utf8.lexicographicallyPrecedes(package.utf8) {
                throw CanonicalDecodeError("summary packages must be strictly ascending")
            }
            let count: UInt64
            do {
                let (value, length) = try Varint.decode(packed[...], at: index)
                index += length
                count = value
            } catch {
                throw CanonicalDecodeError("summary counts: \(error)")
            }
            guard count > 0 else { throw CanonicalDecodeError("a summary count of zero") }
            counts.append((package, count))
        }
        guard index == packed.count else { throw CanonicalDecodeError("summary has \(packed.count - index) bytes of counts left over") }
        guard !counts.isEmpty else { throw CanonicalDecodeError("summary names no package") }
        self.counts = counts
    }
}
