import AgoraCore

/// A search document's weighted terms when its fields are plain ASCII (nearly every package):
/// the tokens `Tokenizer` gives each field, lowered into one byte buffer and sorted there.
///
/// Building the terms from the tokenizer's lists made an array of strings per field, a tagged
/// copy of every token (the array grown one doubling at a time) and a sort comparing strings:
/// two thirds of a document's construction. Here a document's tokens go into two buffers on the
/// stack, and it makes one string per distinct term. `terms` answers nil where a field is not plain ASCII, and the document
/// then takes its terms from the tokenizer's lists; a seeded test holds the two equal.
struct ASCIITerms {
    /// A token's lowered bytes at `bytes[start..<(start + count)]`. 16 bytes, so a typical
    /// document's tokens fit the stack (`withUnsafeTemporaryAllocation` takes up to 1 KiB there).
    private struct Token {
        /// The first 8 bytes, big-endian, zero-padded (as `IndexChanges` keys): most
        /// comparisons in the sort end here.
        var prefix: UInt64
        var offset: UInt32
        var length: UInt8
        var weight: UInt8

        init(prefix: UInt64, start: Int, count: Int, weight: UInt8) {
            self.prefix = prefix
            offset = UInt32(start)
            length = UInt8(count)
            self.weight = weight
        }

        var start: Int { Int(offset) }
        var count: Int { Int(length) }
    }

    /// Where the current field's tokens begin: within a field a token counts once towards
    /// `Tokenizer.maxTokensPerField`, as the tokenizer's lists hold it once.
    private var field = 0
    private let tokens: UnsafeMutableBufferPointer<Token>
    private var tokenCount = 0
    private let bytes: UnsafeMutableBufferPointer<UInt8>
    private var byteCount = 0
    /// A token did not fit: the room reckoned in `terms` is wrong, and the caller takes the
    /// tokenizer's lists instead of a partial answer.
    private var full = false

    private init(tokens: UnsafeMutableBufferPointer<Token>, bytes: UnsafeMutableBufferPointer<UInt8>) {
        self.tokens = tokens
        self.bytes = bytes
    }

    /// The terms `SearchDocument` gives these fields, sorted by token; nil when the name or
    /// description is not all ASCII, or a keyword or tag holds a byte outside printable ASCII
    /// (space to tilde, where trimming whitespace and counting Characters are about bytes).
    static func terms(name: String, keywords: [String], tags: [String], description: String) -> [SearchTerm]? {
        var name = name
        var description = description
        let keywordBytes = keywords.reduce(0) { $0 + $1.utf8.count } + tags.reduce(0) { $0 + $1.utf8.count }
        // Room for every token: a name byte is in its run and at most one piece, a keyword byte
        // also in the whole keyword, a description byte in one word; a token has 2 bytes or more.
        let room = name.utf8.count * 2 + keywordBytes * 3 + description.utf8.count
        // Offsets are 32-bit; a token is at most `Tokenizer.maxTokenLength` bytes.
        guard room <= Int(UInt32.max) else { return nil }
        return withUnsafeTemporaryAllocation(of: Token.self, capacity: room / 2 + 1) { tokens in
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: room) { bytes in
                var terms = ASCIITerms(tokens: tokens, bytes: bytes)
                guard name.withUTF8({ terms.addName($0) }) else { return nil }
                for var keyword in keywords {
                    guard keyword.withUTF8({ terms.addKeyword($0) }) else { return nil }
                }
                for var tag in tags {
                    guard tag.withUTF8({ terms.addKeyword($0) }) else { return nil }
                }
                guard description.withUTF8({ terms.addText($0) }), !terms.full else { return nil }
                return terms.sorted()
            }
        }
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
        // Normalising never lengthens: a run of separators becomes one `-`.
        guard byteCount + (end - first) <= bytes.count, tokenCount < tokens.count else {
            full = true
            return true
        }
        let start = byteCount
        var pendingSeparator = false
        for byte in keyword[first..<end] {
            if byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".") {
                pendingSeparator = true
                continue
            }
            if pendingSeparator {
                append(UInt8(ascii: "-"))
                pendingSeparator = false
            }
            append(ASCIITokens.lower(byte))
        }
        if pendingSeparator { append(UInt8(ascii: "-")) }
        let count = byteCount - start
        if count >= 2, count <= Tokenizer.maxTokenLength {
            tokens[tokenCount] = Token(prefix: prefix(start, count), start: start, count: count, weight: SearchDocument.Weight.keyword)
            tokenCount += 1
        } else {
            byteCount = start
        }
        addNameTokens(keyword, weight: SearchDocument.Weight.keyword)
        return true
    }

    /// `Tokenizer.textTokens`, weighted as a description.
    private mutating func addText(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        guard UTF8Text.isASCII(text) else { return false }
        field = tokenCount
        ASCIITokens.forEachRun(text) { run in
            guard tokenCount - field < Tokenizer.maxTokensPerField else { return false }
            guard run.count >= 2, run.count <= Tokenizer.maxTokenLength, !ASCIITokens.isStopWord(text[run]) else { return true }
            add(text[run], weight: SearchDocument.Weight.description)
            return true
        }
        return true
    }

    private mutating func addNameTokens(_ name: UnsafeBufferPointer<UInt8>, weight: UInt8) {
        field = tokenCount
        ASCIITokens.forEachNamePiece(name) { piece in
            guard piece.count >= 2, piece.count <= Tokenizer.maxTokenLength, tokenCount - field < Tokenizer.maxTokensPerField else { return }
            add(name[piece], weight: weight)
        }
    }

    private mutating func append(_ byte: UInt8) {
        bytes[byteCount] = byte
        byteCount += 1
    }

    /// Appends the lowered token unless the current field holds it already.
    private mutating func add(_ token: Slice<UnsafeBufferPointer<UInt8>>, weight: UInt8) {
        guard byteCount + token.count <= bytes.count, tokenCount < tokens.count else {
            full = true
            return
        }
        let start = byteCount
        for byte in token { append(ASCIITokens.lower(byte)) }
        let new = Token(prefix: prefix(start, token.count), start: start, count: token.count, weight: weight)
        if tokens[field..<tokenCount].contains(where: { equal($0, new) }) {
            byteCount = start
        } else {
            tokens[tokenCount] = new
            tokenCount += 1
        }
    }

    private func prefix(_ start: Int, _ count: Int) -> UInt64 {
        ByteOrder.prefix(UnsafeRawBufferPointer(bytes), start: start, count: count)
    }

    /// The token's bytes after its prefix.
    private func rest(_ token: Token) -> Slice<UnsafeMutableBufferPointer<UInt8>> {
        bytes[min(token.start + 8, token.start + token.count)..<(token.start + token.count)]
    }

    private func equal(_ lhs: Token, _ rhs: Token) -> Bool {
        lhs.prefix == rhs.prefix && lhs.count == rhs.count && (lhs.count <= 8 || rest(lhs).elementsEqual(rest(rhs)))
    }

    /// The tokens sorted by bytes, one term per distinct token whose weight adds up the
    /// distinct weights it came with (capped at 255), as `SearchDocument.init(summary:)` merges.
    private func sorted() -> [SearchTerm] {
        var tokens = UnsafeMutableBufferPointer(rebasing: self.tokens[..<tokenCount])
        tokens.sort { lhs, rhs in
            // Zero padding keeps prefix order consistent with byte order where prefixes differ.
            if lhs.prefix != rhs.prefix { return lhs.prefix < rhs.prefix }
            if equal(lhs, rhs) { return lhs.weight > rhs.weight }
            return rest(lhs).lexicographicallyPrecedes(rest(rhs))
        }
        var terms: [SearchTerm] = []
        terms.reserveCapacity(tokens.count)
        var index = 0
        while index < tokens.count {
            let first = tokens[index]
            var weight = Int(first.weight)
            var lastWeight = first.weight
            index += 1
            while index < tokens.count, equal(tokens[index], first) {
                if tokens[index].weight != lastWeight {
                    lastWeight = tokens[index].weight
                    weight += Int(lastWeight)
                }
                index += 1
            }
            let token = String(decoding: UnsafeBufferPointer(rebasing: bytes[first.start..<(first.start + first.count)]), as: UTF8.self)
            terms.append(SearchTerm(token: token, weight: UInt8(min(weight, 255))))
        }
        return terms
    }
}
