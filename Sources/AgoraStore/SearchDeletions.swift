/// SymSpell-style keys for one-typo lookups: a string and each way of deleting one character.
///
/// Two strings within one edit (insert, delete, substitute, adjacent transpose) always share
/// a key, so a lookup is one get per key of the query — about its length — instead of a scan.
/// Sharing a key can also mean two edits apart, so matches are confirmed with EditDistance.
public enum SearchDeletions {
    /// Names longer than this are not indexed for typos; it bounds the keys per name.
    public static let maxIndexedLength = 40

    public static func keys(for name: String) -> [String] {
        let scalars = Array(name.unicodeScalars)
        guard !scalars.isEmpty, scalars.count <= maxIndexedLength + 1 else { return [] }
        var out: [String] = [name]
        var seen: Set<String> = [name]
        for index in scalars.indices {
            var view = String.UnicodeScalarView()
            view.append(contentsOf: scalars[..<index])
            view.append(contentsOf: scalars[(index + 1)...])
            let key = String(view)
            if !key.isEmpty, seen.insert(key).inserted { out.append(key) }
        }
        return out
    }
}
