import AgoraStore

/// Orders version strings for "latest": semantic-version precedence, generalised so that
/// PyPI-style versions (`26.3`, `0.0.0.2`) order sensibly too.
///
/// The core is dot-separated; numeric parts compare as numbers, missing parts count as 0,
/// and text parts sort after numbers. A `-` pre-release sorts before the plain release and
/// its identifiers compare as SemVer says. `+build` metadata is ignored for precedence, and
/// equal precedence falls back to the raw bytes so the order is total and deterministic.
public enum VersionOrder {
    public static func precedes(_ lhs: String, _ rhs: String) -> Bool {
        switch compare(lhs, rhs) {
        case .less: true
        case .greater: false
        case .equal: lhs.utf8.lexicographicallyPrecedes(rhs.utf8)
        }
    }

    enum Ordering { case less, equal, greater }

    static func compare(_ lhs: String, _ rhs: String) -> Ordering {
        let (lhsCore, lhsPre) = split(lhs)
        let (rhsCore, rhsPre) = split(rhs)
        let core = compareIdentifiers(lhsCore, rhsCore, padWithZero: true)
        if core != .equal { return core }
        switch (lhsPre.isEmpty, rhsPre.isEmpty) {
        case (true, true): return .equal
        case (true, false): return .greater
        case (false, true): return .less
        case (false, false): return compareIdentifiers(lhsPre, rhsPre, padWithZero: false)
        }
    }

    private static func split(_ version: String) -> (core: [Substring], pre: [Substring]) {
        let withoutBuild = version.split(separator: "+", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        let parts = withoutBuild.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        let core = parts[0].split(separator: ".", omittingEmptySubsequences: false)
        let pre = parts.count > 1 ? parts[1].split(separator: ".", omittingEmptySubsequences: false) : []
        return (core, pre)
    }

    private static func compareIdentifiers(_ lhs: [Substring], _ rhs: [Substring], padWithZero: Bool) -> Ordering {
        let count = max(lhs.count, rhs.count)
        for index in 0..<count {
            let left = index < lhs.count ? lhs[index] : nil
            let right = index < rhs.count ? rhs[index] : nil
            switch (left, right) {
            case (nil, nil):
                return .equal
            case (nil, let right?):
                if padWithZero { let order = compareIdentifier("0", right); if order != .equal { return order } } else { return .less }
            case (let left?, nil):
                if padWithZero { let order = compareIdentifier(left, "0"); if order != .equal { return order } } else { return .greater }
            case (let left?, let right?):
                let order = compareIdentifier(left, right)
                if order != .equal { return order }
            }
        }
        return .equal
    }

    private static func compareIdentifier(_ lhs: Substring, _ rhs: Substring) -> Ordering {
        let leftNumber = numeric(lhs)
        let rightNumber = numeric(rhs)
        switch (leftNumber, rightNumber) {
        case (let left?, let right?):
            return left < right ? .less : (left > right ? .greater : .equal)
        case (.some, nil):
            return .less
        case (nil, .some):
            return .greater
        case (nil, nil):
            if lhs == rhs { return .equal }
            return lhs.utf8.lexicographicallyPrecedes(rhs.utf8) ? .less : .greater
        }
    }

    /// Digits only and small enough to compare as a number; longer digit runs compare as text.
    private static func numeric(_ text: Substring) -> UInt64? {
        guard !text.isEmpty, text.utf8.count <= 18, text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        return UInt64(text)
    }
}
