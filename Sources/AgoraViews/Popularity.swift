import AgoraCore
import AgoraStore
import Foundation

/// How much a package is used, folded from signed retrieval summaries (`RetrievalsCounted`).
///
/// The rule (docs/DESIGN-NOTES.md, "Popularity"): a reporter's count for a package in a period
/// is the largest it signed for that period, capped at `capPerPeriod`; a reporter whose key
/// published the package (a release author or a claimant principal) is ignored for it; each
/// remaining reporter adds log2(1 + its capped total over all periods). So one key cannot add
/// more than a logarithm, and a package used through many reporters outranks one reported
/// loudly by a few. Every input is a set fold (max per slot, sums over the set), so any
/// arrival order gives the same record.
public struct PackagePopularity: Sendable, Hashable {
    /// Most one reporter counts for one package in one period.
    public static let capPerPeriod: UInt64 = 1_000_000

    /// Distinct reporters counted (after excluding the package's own keys).
    public var reporters: UInt32
    /// Σ log2(1 + total) over those reporters, in thousandths.
    public var milliScore: UInt32

    public init(reporters: UInt32, milliScore: UInt32) {
        self.reporters = reporters
        self.milliScore = milliScore
    }

    public var score: Double { Double(milliScore) / 1000 }

    /// The record for reporters' capped totals, excluding `ownKeys`; nil when nobody counts.
    static func fold(totals: [(reporter: PublicKey, total: UInt64)], ownKeys: Set<PublicKey>) -> PackagePopularity? {
        var reporters: UInt32 = 0
        var score = 0.0
        for entry in totals where !ownKeys.contains(entry.reporter) && entry.total > 0 {
            reporters += 1
            score += log2(1 + Double(entry.total))
        }
        guard reporters > 0 else { return nil }
        return PackagePopularity(reporters: reporters, milliScore: UInt32(min(score * 1000, Double(UInt32.max)).rounded()))
    }

    func encoded() -> [UInt8] {
        BigEndian.bytes(UInt64(reporters) << 32 | UInt64(milliScore))
    }

    init(decoding bytes: UnsafeRawBufferPointer) throws(ViewDecodeError) {
        guard bytes.count == 8, let value = BigEndian.uint64(bytes) else { throw ViewDecodeError("popularity record of \(bytes.count) bytes") }
        reporters = UInt32(truncatingIfNeeded: value >> 32)
        milliScore = UInt32(truncatingIfNeeded: value)
    }
}
