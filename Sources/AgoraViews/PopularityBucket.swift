/// A package's popularity rounded up to whole score units, stored in every posting entry of
/// its document (docs/DESIGN-NOTES.md, "Popularity beside the postings"), so search can bound
/// a word match's rank from the postings it already read and fetch the exact record only for
/// matches that can still reach the page.
///
/// 0: no record (popularity exactly 0); b in 1...254: a score in (b − 1, b] (b = 1 also holds 0);
/// 255: a score above 254, unbounded. One score unit is one doubling of one reporter's count,
/// so a package's bucket changes rarely, and its postings are rewritten only then.
public struct PopularityBucket: Sendable, Hashable {
    public static let none = PopularityBucket(rawValue: 0)
    static let unbounded: UInt8 = 255

    public let rawValue: UInt8

    public init(rawValue: UInt8) {
        self.rawValue = rawValue
    }

    public init(_ popularity: PackagePopularity?) {
        guard let popularity else {
            self = .none
            return
        }
        let units = popularity.milliScore / 1000 + (popularity.milliScore % 1000 == 0 ? 0 : 1)
        rawValue = UInt8(min(max(units, 1), UInt32(Self.unbounded)))
    }

    /// Whether the bucket says the document has no popularity record, so none need be read.
    public var isNone: Bool { rawValue == 0 }

    /// Least score a record in this bucket can have.
    public var lowerBound: Double { rawValue <= 1 ? 0 : Double(rawValue - 1) }

    /// Largest score a record in this bucket can have.
    public var upperBound: Double { rawValue == Self.unbounded ? .infinity : Double(rawValue) }
}
