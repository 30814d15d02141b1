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
            for run in runs(bytes) {
                guard out.count < Tokenizer.maxTokensPerField else { break }
                guard run.count >= 2, run.count <= Tokenizer.maxTokenLength else { continue }
                let token = lowered(bytes[run])
                // At most `maxTokensPerField` tokens: a linear scan beats hashing each one.
                guard !out.contains(token), !Tokenizer.stopWords.contains(token) else { continue }
                out.append(token)
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
            for run in runs(bytes) {
                add(bytes[run])
                let pieces = camelCaseAndDigitPieces(bytes, run)
                if pieces.count > 1 { pieces.forEach { add(bytes[$0]) } }
            }
            return out
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

    /// Maximal runs of letters and digits.
    private static func runs(_ bytes: UnsafeBufferPointer<UInt8>) -> [Range<Int>] {
        var out: [Range<Int>] = []
        var start: Int?
        for index in bytes.indices {
            if isAlphanumeric(bytes[index]) {
                if start == nil { start = index }
            } else if let first = start {
                out.append(first..<index)
                start = nil
            }
        }
        if let first = start { out.append(first..<bytes.count) }
        return out
    }

    /// The boundaries of `Tokenizer.splitCamelCaseAndDigits`, on bytes.
    private static func camelCaseAndDigitPieces(_ bytes: UnsafeBufferPointer<UInt8>, _ run: Range<Int>) -> [Range<Int>] {
        guard run.count > 1 else { return [run] }
        var pieces: [Range<Int>] = []
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
                pieces.append(start..<position)
                start = position
            }
        }
        pieces.append(start..<run.upperBound)
        return pieces
    }

    private static func lowered(_ bytes: Slice<UnsafeBufferPointer<UInt8>>) -> String {
        String(unsafeUninitializedCapacity: bytes.count) { buffer in
            for (offset, byte) in bytes.enumerated() { buffer[offset] = lower(byte) }
            return bytes.count
        }
    }
}
