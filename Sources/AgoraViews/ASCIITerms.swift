import AgoraCore

/// A search document's weighted terms when its fields are plain ASCII (nearly every package):
/// the tokens `Tokenizer` gives each field, lowered into one byte buffer and sorted there.
///
/// Building the terms from the tokenizer's lists made an array of strings per field, a tagged
/// copy of every token (the array grown one doubling at a time) and a sort comparing strings:
/// two thirds of a document's construction. Here a document makes two buffers and one string
/// per distinct term. `terms` answers nil where a field is not plain ASCII, and the document
/// then takes its terms from the tokenizer's lists; a seeded test holds the two equal.
struct ASCIITerms {
    /// A token's lowered bytes at `bytes[start..<(start + count)]`.
    private struct Token {
        /// The first 8 bytes, big-endian, zero-padded (as `IndexChanges` keys): most
        /// comparisons in the sort end here.
        var prefix: UInt64
        var start: Int
        var count: Int
        var weight: UInt8
    }

    /// Where the current field's tokens begin: within a field a token counts once towards
    /// `Tokenizer.maxTokensPerField`, as the tokenizer's lists hold it once.
    private var field = 0
    private var tokens: [Token] = []
    private var bytes: [UInt8] = []

    /// The terms `SearchDocument` gives these fields, sorted by token; nil when the name or
    /// description is not all ASCII, or a keyword or tag holds a byte outside printable ASCII
    /// (space to tilde, where trimming whitespace and counting Characters are about bytes).
    static func terms(name: String, keywords: [String], tags: [String], description: String) -> [SearchTerm]? {
        var name = name
        var description = description
        let keywordBytes = keywords.reduce(0) { $0 + $1.utf8.count } + tags.reduce(0) { $0 + $1.utf8.count }
        var terms = ASCIITerms()
        // Room for every token, so neither buffer grows: a name's runs and their pieces, a
        // keyword's whole and its name tokens.
        terms.bytes.reserveCapacity(name.utf8.count * 2 + keywordBytes * 3 + description.utf8.count)
        terms.tokens.reserveCapacity(16)
        guard name.withUTF8({ terms.addName($0) }) else { return nil }
        for var keyword in keywords {
            guard keyword.withUTF8({ terms.addKeyword($0) }) else { return nil }
        }
        for var tag in tags {
            guard tag.withUTF8({ terms.addKeyword($0) }) else { return nil }
        }
        guard description.withUTF8({ terms.addText($0) }) else { return nil }
        return terms.sorted()
    }

    /// `Tokenizer.nameTokens`, weighted as a name.
    private mutating func addName(_ name: UnsafeBufferPointer<UInt8>) -> Bool {
        guard UTF8Text.isASCII(name) else { return false }
        addNameTokens(name, weight: SearchDocument.Weight.name)
        return true
    }

    /// `Tokenizer.keywordTokens`: the whole keyword trimmed and normalised like a name, then
    /// its name tokens. A name token equal to the whole is kept here (the tokenizer drops it):
    /// the sort merges the two, both weighted as a keyword, into the one term the whole makes.
    private mutating func addKeyword(_ keyword: UnsafeBufferPointer<UInt8>) -> Bool {
        guard keyword.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) else { return false }
        var first = 0
        var end = keyword.count
        while first < end, keyword[first] == UInt8(ascii: " ") { first += 1 }
        while end > first, keyword[end - 1] == UInt8(ascii: " ") { end -= 1 }
        let start = bytes.count
        var pendingSeparator = false
        for byte in keyword[first..<end] {
            if byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".") {
                pendingSeparator = true
                continue
            }
            if pendingSeparator {
                bytes.append(UInt8(ascii: "-"))
                pendingSeparator = false
            }
            bytes.append(ASCIITokens.lower(byte))
        }
        if pendingSeparator { bytes.append(UInt8(ascii: "-")) }
        let count = bytes.count - start
        if count >= 2, count <= Tokenizer.maxTokenLength {
            tokens.append(Token(prefix: prefix(start, count), start: start, count: count, weight: SearchDocument.Weight.keyword))
        } else {
            bytes.removeLast(count)
        }
        addNameTokens(keyword, weight: SearchDocument.Weight.keyword)
        return true
    }

    /// `Tokenizer.textTokens`, weighted as a description.
    private mutating func addText(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        guard UTF8Text.isASCII(text) else { return false }
        field = tokens.count
        ASCIITokens.forEachRun(text) { run in
            guard tokens.count - field < Tokenizer.maxTokensPerField else { return false }
            guard run.count >= 2, run.count <= Tokenizer.maxTokenLength, !ASCIITokens.isStopWord(text[run]) else { return true }
            add(text[run], weight: SearchDocument.Weight.description)
            return true
        }
        return true
    }

    private mutating func addNameTokens(_ name: UnsafeBufferPointer<UInt8>, weight: UInt8) {
        field = tokens.count
        ASCIITokens.forEachNamePiece(name) { piece in
            guard piece.count >= 2, piece.count <= Tokenizer.maxTokenLength, tokens.count - field < Tokenizer.maxTokensPerField else { return }
            add(name[piece], weight: weight)
        }
    }

    /// Appends the lowered token unless the current field holds it already.
    private mutating func add(_ token: Slice<UnsafeBufferPointer<UInt8>>, weight: UInt8) {
        let start = bytes.count
        for byte in token { bytes.append(ASCIITokens.lower(byte)) }
        let new = Token(prefix: prefix(start, token.count), start: start, count: token.count, weight: weight)
        let repeated = bytes.withUnsafeBufferPointer { arena in
            tokens[field...].contains { Self.equal($0, new, arena) }
        }
        if repeated { bytes.removeLast(token.count) } else { tokens.append(new) }
    }

    private func prefix(_ start: Int, _ count: Int) -> UInt64 {
        var prefix: UInt64 = 0
        for offset in 0..<min(count, 8) { prefix |= UInt64(bytes[start + offset]) << (56 - 8 * UInt64(offset)) }
        return prefix
    }

    private static func equal(_ lhs: Token, _ rhs: Token, _ arena: UnsafeBufferPointer<UInt8>) -> Bool {
        lhs.prefix == rhs.prefix && lhs.count == rhs.count
            && (lhs.count <= 8 || arena[(lhs.start + 8)..<(lhs.start + lhs.count)].elementsEqual(arena[(rhs.start + 8)..<(rhs.start + rhs.count)]))
    }

    /// The tokens sorted by bytes, one term per distinct token whose weight adds up the
    /// distinct weights it came with (capped at 255), as `SearchDocument.init(summary:)` merges.
    private mutating func sorted() -> [SearchTerm] {
        bytes.withUnsafeBufferPointer { arena in
            tokens.sort { lhs, rhs in
                // Zero padding keeps prefix order consistent with byte order where prefixes differ.
                if lhs.prefix != rhs.prefix { return lhs.prefix < rhs.prefix }
                if Self.equal(lhs, rhs, arena) { return lhs.weight > rhs.weight }
                return arena[(lhs.start + 8)..<(lhs.start + lhs.count)].lexicographicallyPrecedes(arena[(rhs.start + 8)..<(rhs.start + rhs.count)])
            }
            var terms: [SearchTerm] = []
            terms.reserveCapacity(tokens.count)
            var index = 0
            while index < tokens.count {
                let first = tokens[index]
                var weight = Int(first.weight)
                var lastWeight = first.weight
                index += 1
                while index < tokens.count, Self.equal(tokens[index], first, arena) {
                    if tokens[index].weight != lastWeight {
                        lastWeight = tokens[index].weight
                        weight += Int(lastWeight)
                    }
                    index += 1
                }
                let token = String(decoding: UnsafeBufferPointer(rebasing: arena[first.start..<(first.start + first.count)]), as: UTF8.self)
                terms.append(SearchTerm(token: token, weight: UInt8(min(weight, 255))))
            }
            return terms
        }
    }
}
