import AgoraCore

/// Keys of the typo index, which finds every name within one edit of a query with a few
/// range scans instead of SymSpell's one key per deleted character.
///
/// Each name is stored twice: forward and with its scalars reversed, both behind its length
/// in scalars. An edit (insertion, deletion, substitution, adjacent transposition) of a query
/// `q` of `n` scalars either leaves `q[..<h]` in place (it touches positions ≥ h) or leaves
/// `q[h...]` in place as the name's ending (it touches positions < h), for h = n / 2, except
/// the transposition of `q[h-1]` and `q[h]`, which makes one name. So a name one edit away
/// has length n − 1, n or n + 1 and either starts with `q[..<h]`, ends with `q[h...]` or is
/// that transposition: two prefix scans per length and one key. Candidates are confirmed
/// with `EditDistance`, as before; the set found is every indexed name within one edit.
/// (Ending with `q[(h+1)...]`, which also holds the transposition, read every name of the
/// length ending in one letter for a four-letter query, and every name of it for two.)
public enum TypoKeys {
    /// Names longer than this (in Unicode scalars) are not indexed for typos.
    public static let maxIndexedLength = 41
    static let forward: UInt8 = 0x66
    static let backward: UInt8 = 0x72

    /// The two index keys of a normalised name; none for an empty or too long name.
    public static func keys(for name: String) -> [[UInt8]] {
        var out: [[UInt8]] = []
        forEachKey(for: name) { out.append(Array($0)) }
        return out
    }

    /// `keys(for:)`, each passed to `body`: an all-ASCII name's keys are built in one buffer on
    /// the stack, the backward key over the forward one (every document indexed records them).
    static func forEachKey(for name: String, _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        var name = name
        let ascii = name.withUTF8 { bytes in
            guard UTF8Text.isASCII(bytes) else { return false }
            // ASCII: one scalar per byte, so the keys are the bytes themselves.
            guard !bytes.isEmpty, bytes.count <= maxIndexedLength else { return true }
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: bytes.count + 2) { key in
                key[0] = forward
                key[1] = UInt8(bytes.count)
                for index in bytes.indices { key[2 + index] = bytes[index] }
                body(UnsafeBufferPointer(key))
                key[0] = backward
                for index in bytes.indices { key[2 + index] = bytes[bytes.count - 1 - index] }
                body(UnsafeBufferPointer(key))
            }
            return true
        }
        guard !ascii else { return }
        let scalars = Array(name.unicodeScalars)
        guard !scalars.isEmpty, scalars.count <= maxIndexedLength else { return }
        key(forward, scalars.count, scalars[...]).withUnsafeBufferPointer(body)
        key(backward, scalars.count, scalars.reversed()[...]).withUnsafeBufferPointer(body)
    }

    /// The key prefixes whose entries hold every indexed name within one edit of `query`.
    public static func scans(for query: String) -> [[UInt8]] {
        let bytes = Array(query.utf8)
        guard bytes.allSatisfy({ $0 < 0x80 }) else { return scans(scalars: Array(query.unicodeScalars)) }
        // ASCII: one scalar per byte, so the key prefixes are slices of the bytes.
        guard !bytes.isEmpty, bytes.count <= maxIndexedLength + 1 else { return [] }
        let half = bytes.count / 2
        let tail = bytes[half...].reversed()
        var out: [[UInt8]] = []
        for length in max(1, bytes.count - 1)...min(maxIndexedLength, bytes.count + 1) {
            out.append([forward, UInt8(length)] + bytes[..<half])
            out.append([backward, UInt8(length)] + tail)
            if length == bytes.count, half > 0, bytes[half - 1] != bytes[half] {
                var swapped = bytes
                swapped.swapAt(half - 1, half)
                out.append([forward, UInt8(length)] + swapped)
            }
        }
        return out
    }

    /// `scans(for:)` by its definition, over any scalars.
    static func scans(scalars: [Unicode.Scalar]) -> [[UInt8]] {
        guard !scalars.isEmpty, scalars.count <= maxIndexedLength + 1 else { return [] }
        let half = scalars.count / 2
        let head = scalars[..<half]
        let tail = Array(scalars[half...].reversed())[...]
        var out: [[UInt8]] = []
        for length in max(1, scalars.count - 1)...min(maxIndexedLength, scalars.count + 1) {
            out.append(key(forward, length, head))
            out.append(key(backward, length, tail))
            // The transposition across `half` leaves neither part in place: the one name it makes.
            if length == scalars.count, half > 0, scalars[half - 1] != scalars[half] {
                var swapped = scalars
                swapped.swapAt(half - 1, half)
                out.append(key(forward, length, swapped[...]))
            }
        }
        return out
    }

    /// The normalised name an index key holds.
    public static func name(ofKey key: some Collection<UInt8>) -> String? {
        guard key.count > 2, let direction = key.first else { return nil }
        let text = String(decoding: key.dropFirst(2), as: UTF8.self)
        switch direction {
        case forward: return text
        case backward: return String(String.UnicodeScalarView(text.unicodeScalars.reversed()))
        default: return nil
        }
    }

    private static func key(_ direction: UInt8, _ length: Int, _ scalars: ArraySlice<Unicode.Scalar>) -> [UInt8] {
        var out: [UInt8] = [direction, UInt8(length)]
        for scalar in scalars { out.append(contentsOf: String(scalar).utf8) }
        return out
    }
}
