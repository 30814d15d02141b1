/// Byte-level versions of the tokenizer for all-ASCII input (nearly every name and summary):
/// the same tokens as the Character-based definitions in `Tokenizer`, without grapheme
/// breaking and Unicode property lookups, which dominated building search documents.
/// Each function returns nil for input that is not all ASCII.
enum ASCIITokens {
    static func isAlphanumeric(_ byte: UInt8) -> Bool { isLetter(byte) || isDigit(byte) }
    static func isLetter(_ byte: UInt8) -> Bool { isUpper(byte) || isLower(byte) }
    static func isUpper(_ byte: UInt8) -> Bool { byte >= 0x41 && byte <= 0x5A }
    static func isLower(_ byte: UInt8) -> Bool { byte >= 0x61 && byte <= 0x7A }
    static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }
    static func lower(_ byte: UInt8) -> UInt8 { isUpper(byte) ? byte | 0x20 : byte }

    static func textTokens(_ text: String) -> [String]? {
        var text = text
        return text.withUTF8 { bytes -> [String]? in
            guard bytes.allSatisfy({ $0 < 0x80 }) else { return nil }
            var out: [String] = []
            forEachRun(bytes) { run in
                guard out.count < Tokenizer.maxTokensPerField else { return false }
                // Stop words are looked up by their bytes, before a string is made or hashed.
                guard run.count >= 2, run.count <= Tokenizer.maxTokenLength, !isStopWord(bytes[run]) else { return true }
                let token = lowered(bytes[run])
                // At most `maxTokensPerField` tokens: a linear scan beats hashing each one.
                if !out.contains(token) { out.append(token) }
                return true
            }
            return out
        }
    }

    static func nameTokens(_ name: String) -> [String]? {
        var name = name
        return name.withUTF8 { bytes -> [String]? in
            guard bytes.allSatisfy({ $0 < 0x80 }) else { return nil }
            var out: [String] = []
            func add(_ piece: Slice<UnsafeBufferPointer<UInt8>>) {
                guard piece.count >= 2, piece.count <= Tokenizer.maxTokenLength, out.count < Tokenizer.maxTokensPerField else { return }
                let token = lowered(piece)
                if !out.contains(token) { out.append(token) }
            }
            forEachNamePiece(bytes) { add(bytes[$0]) }
            return out
        }
    }

    /// The candidate name tokens in order: each run of letters and digits, then its camelCase
    /// and letter/digit pieces when it has more than one (before length limits and repeats).
    static func forEachNamePiece(_ bytes: UnsafeBufferPointer<UInt8>, _ body: (Range<Int>) -> Void) {
        forEachRun(bytes) { run in
            body(run)
            forEachCamelCaseAndDigitPiece(bytes, run, body)
            return true
        }
    }

    /// `Tokenizer.normaliseName` for an all-ASCII name.
    static func normaliseName(_ name: String) -> String? {
        var name = name
        return name.withUTF8 { bytes -> String? in
            guard bytes.allSatisfy({ $0 < 0x80 }) else { return nil }
            return String(unsafeUninitializedCapacity: bytes.count) { buffer in
                var count = 0
                var pendingSeparator = false
                for byte in bytes {
                    if byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".") {
                        pendingSeparator = true
                        continue
                    }
                    if pendingSeparator {
                        buffer[count] = UInt8(ascii: "-")
                        count += 1
                        pendingSeparator = false
                    }
                    buffer[count] = lower(byte)
                    count += 1
                }
                if pendingSeparator {
                    buffer[count] = UInt8(ascii: "-")
                    count += 1
                }
                return count
            }
        }
    }

    /// Calls `body` with each maximal run of letters and digits until it returns false; no
    /// array of runs is made (a document tokenises several fields).
    static func forEachRun(_ bytes: UnsafeBufferPointer<UInt8>, _ body: (Range<Int>) -> Bool) {
        var start: Int?
        for index in bytes.indices {
            if isAlphanumeric(bytes[index]) {
                if start == nil { start = index }
            } else if let first = start {
                guard body(first..<index) else { return }
                start = nil
            }
        }
        if let first = start { _ = body(first..<bytes.count) }
    }

    /// The pieces of `Tokenizer.splitCamelCaseAndDigits`, on bytes, passed to `body` in order;
    /// nothing when the run is one piece (its whole is a token already).
    private static func forEachCamelCaseAndDigitPiece(
        _ bytes: UnsafeBufferPointer<UInt8>, _ run: Range<Int>, _ body: (Range<Int>) -> Void
    ) {
        guard run.count > 1 else { return }
        var start = run.lowerBound
        for position in (run.lowerBound + 1)..<run.upperBound {
            let previous = bytes[position - 1]
            let current = bytes[position]
            let nextIsLower = position + 1 < run.upperBound && isLower(bytes[position + 1])
            let boundary =
                (isLower(previous) && isUpper(current))
                || (isUpper(previous) && isUpper(current) && nextIsLower)
                || (isLetter(previous) && isDigit(current))
                || (isDigit(previous) && isLetter(current))
            if boundary {
                body(start..<position)
                start = position
            }
        }
        if start != run.lowerBound { body(start..<run.upperBound) }
    }

    /// `Tokenizer.stopWords`, each lowercased word packed big-endian into a `UInt64` (all are
    /// 2–5 letters), sorted.
    private static let stopWordCodes: [UInt64] = Tokenizer.stopWords.map { word in
        word.utf8.reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    }.sorted()

    /// Whether the lowercased bytes are one of `Tokenizer.stopWords`.
    static func isStopWord(_ bytes: Slice<UnsafeBufferPointer<UInt8>>) -> Bool {
        guard bytes.count <= 8 else { return false }
        let code = bytes.reduce(UInt64(0)) { $0 << 8 | UInt64(lower($1)) }
        return stopWordCodes.contains(code)
    }

    private static func lowered(_ bytes: Slice<UnsafeBufferPointer<UInt8>>) -> String {
        String(unsafeUninitializedCapacity: bytes.count) { buffer in
            for (offset, byte) in bytes.enumerated() { buffer[offset] = lower(byte) }
            return bytes.count
        }
    }
}
