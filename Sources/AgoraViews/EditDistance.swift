import AgoraStore

/// Damerau–Levenshtein distance in its optimal-string-alignment form (adjacent transpositions
/// count as one edit; no substring is edited twice), over Unicode scalars.
public enum EditDistance {
    /// How two strings one edit apart differ, for ranking typo matches.
    public enum Edit: Sendable, Hashable {
        case transposition, substitution, insertion, deletion
    }

    /// The distance, or nil once it is certain to exceed `maxDistance`. Work is bounded by
    /// a band of width 2·maxDistance+1 around the diagonal, so long strings cost O(n·k).
    public static func distance(_ lhs: String, _ rhs: String, max maxDistance: Int) -> Int? {
        distance(Array(lhs.unicodeScalars), Array(rhs.unicodeScalars), max: maxDistance)
    }

    public static func distance<T: Equatable>(_ a: [T], _ b: [T], max bound: Int) -> Int? {
        guard bound >= 0, abs(a.count - b.count) <= bound else { return nil }
        let k = min(bound, max(a.count, b.count))
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        let n = a.count
        let m = b.count
        let infinity = k + 1
        // Three rows: two back (for transpositions), previous, current.
        var twoBack = [Int](repeating: infinity, count: m + 1)
        var previous = [Int](repeating: infinity, count: m + 1)
        var current = [Int](repeating: infinity, count: m + 1)
        for j in 0...min(m, k) { previous[j] = j }
        for i in 1...n {
            let low = max(1, i - k)
            let high = min(m, i + k)
            for j in 0...m { current[j] = infinity }
            if i <= k { current[0] = i }
            var rowMinimum = current[0]
            if low <= high {
                for j in low...high {
                    let cost = a[i - 1] == b[j - 1] ? 0 : 1
                    var value = min(previous[j - 1] + cost, previous[j] + 1, current[j - 1] + 1)
                    if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                        value = min(value, twoBack[j - 2] + 1)
                    }
                    current[j] = min(value, infinity)
                    rowMinimum = min(rowMinimum, current[j])
                }
            }
            if rowMinimum > k { return nil }
            swap(&twoBack, &previous)
            swap(&previous, &current)
        }
        let result = previous[m]
        return result <= k ? result : nil
    }

    /// What single edit turns `query` into `candidate`; nil when they are equal or further apart.
    public static func singleEdit(from query: String, to candidate: String) -> Edit? {
        singleEdit(Array(query.unicodeScalars), Array(candidate.unicodeScalars))
    }

    /// Over any random-access sequences with integer indices: scalar arrays, or the bytes of two ASCII
    /// names straight from the index, without building strings.
    static func singleEdit<A: RandomAccessCollection, B: RandomAccessCollection>(_ a: A, _ b: B) -> Edit?
    where A.Index == Int, B.Index == Int, A.Element == B.Element, A.Element: Equatable {
        switch b.count - a.count {
        case 0:
            // The first two differing positions; a third means more than one edit.
            var first = -1
            var second = -1
            for index in 0..<a.count where a[a.startIndex + index] != b[b.startIndex + index] {
                if first < 0 {
                    first = index
                } else if second < 0 {
                    second = index
                } else {
                    return nil
                }
            }
            if first >= 0, second < 0 { return .substitution }
            if second == first + 1, a[a.startIndex + first] == b[b.startIndex + second], a[a.startIndex + second] == b[b.startIndex + first] {
                return .transposition
            }
            return nil
        case 1:
            return isOneDeletion(longer: b, shorter: a) ? .insertion : nil
        case -1:
            return isOneDeletion(longer: a, shorter: b) ? .deletion : nil
        default:
            return nil
        }
    }

    private static func isOneDeletion<A: RandomAccessCollection, B: RandomAccessCollection>(longer: A, shorter: B) -> Bool
    where A.Index == Int, B.Index == Int, A.Element == B.Element, A.Element: Equatable {
        var i = 0
        while i < shorter.count, longer[longer.startIndex + i] == shorter[shorter.startIndex + i] { i += 1 }
        while i < shorter.count, longer[longer.startIndex + i + 1] == shorter[shorter.startIndex + i] { i += 1 }
        return i == shorter.count
    }
}
