import AgoraStore

/// SymSpell-style keys for one-typo lookups: a string and each way of deleting one character.
///
/// Two strings within one edit (insert, delete, substitute, adjacent transpose) always share
/// a key, so a lookup is one get per key of the query — about its length — instead of a scan.
/// Sharing a key can also mean two edits apart, so matches are confirmed with EditDistance.
public enum SearchDeletions {
    /// Names longer than this are not indexed for typos; it bounds the keys per name.
    public static let maxIndexedLength = 40

    public static func keys(for name: String) -> [String] {
        if name.utf8.allSatisfy({ $0 < 0x80 }) { return asciiKeys(Array(name.utf8), name) }
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

    /// Byte-level keys, for names that are all ASCII (nearly every name). Deleting any byte of
    /// a run of equal bytes gives the same key, so only a run's first byte is deleted — the
    /// same keys, in the same order, as the general path, without hashing them.
    private static func asciiKeys(_ bytes: [UInt8], _ name: String) -> [String] {
        guard !bytes.isEmpty, bytes.count <= maxIndexedLength + 1 else { return [] }
        var out: [String] = [name]
        out.reserveCapacity(bytes.count + 1)
        guard bytes.count > 1 else { return out }
        for index in bytes.indices where index == 0 || bytes[index] != bytes[index - 1] {
            var key = Array(bytes[..<index])
            key.append(contentsOf: bytes[(index + 1)...])
            out.append(String(decoding: key, as: UTF8.self))
        }
        return out
    }
}
