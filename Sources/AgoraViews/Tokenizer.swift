import AgoraStore

/// Turns names, keywords and descriptions into search tokens, and queries into the same tokens.
///
/// Index and query go through the same functions so a word matches however it was written:
/// `JSONKit`, `json-kit` and `json_kit` all yield `json` and `kit`.
public enum Tokenizer {
    /// Longer words are identifiers, hashes or URLs: they would bloat the index and nobody types them.
    public static let maxTokenLength = 40
    /// Bounds the postings one package can add, whatever its description.
    public static let maxTokensPerField = 64

    /// Common English words that carry no meaning in a package description.
    public static let stopWords: Set<String> = [
        "a", "an", "and", "are", "as", "at", "be", "but", "by", "can", "for", "from", "has", "have", "in", "into",
        "is", "it", "its", "of", "on", "or", "that", "the", "their", "this", "to", "via", "was", "which", "will",
        "with", "you", "your",
    ]

    /// PEP 503 normal form: lowercase, every run of `-`, `_` and `.` becomes one `-`.
    public static func normaliseName(_ name: String) -> String {
        ASCIITokens.normaliseName(name) ?? characterNormaliseName(name)
    }

    /// `normaliseName` by Characters: the definition, used for names that are not all ASCII.
    static func characterNormaliseName(_ name: String) -> String {
        var out = ""
        out.reserveCapacity(name.utf8.count)
        var pendingSeparator = false
        for character in name.lowercased() {
            if character == "-" || character == "_" || character == "." {
                pendingSeparator = true
                continue
            }
            if pendingSeparator {
                out.append("-")
                pendingSeparator = false
            }
            out.append(character)
        }
        if pendingSeparator { out.append("-") }
        return out
    }

    /// Tokens of a package name: each separated part, its camelCase and letter/digit pieces,
    /// all lowercased; single characters are dropped.
    public static func nameTokens(_ name: String) -> [String] {
        if let ascii = ASCIITokens.nameTokens(name) { return ascii }
        return characterNameTokens(name)
    }

    /// `nameTokens` by Characters: the definition, used for names that are not all ASCII.
    static func characterNameTokens(_ name: String) -> [String] {
        var out: [String] = []
        var seen = Set<String>()
        func add(_ token: String) {
            guard token.count >= 2, token.count <= maxTokenLength, out.count < maxTokensPerField, seen.insert(token).inserted else { return }
            out.append(token)
        }
        for part in name.split(whereSeparator: { !$0.isLetter && !$0.isNumber }) {
            add(part.lowercased())
            let pieces = splitCamelCaseAndDigits(part)
            if pieces.count > 1 { pieces.forEach { add($0.lowercased()) } }
        }
        return out
    }

    /// Tokens of a keyword or tag: the whole keyword (normalised like a name) and its parts.
    public static func keywordTokens(_ keyword: String) -> [String] {
        let whole = normaliseName(keyword.trimmingSpaces())
        var out: [String] = []
        if whole.count >= 2, whole.count <= maxTokenLength { out.append(whole) }
        for token in nameTokens(keyword) where token != whole { out.append(token) }
        return out
    }

    /// Words of free text: lowercased, stop words and single characters dropped, duplicates removed.
    public static func textTokens(_ text: String) -> [String] {
        if let ascii = ASCIITokens.textTokens(text) { return ascii }
        return characterTextTokens(text)
    }

    /// `textTokens` by Characters: the definition, used for text that is not all ASCII.
    static func characterTextTokens(_ text: String) -> [String] {
        var out: [String] = []
        var seen = Set<String>()
        for word in text.split(whereSeparator: { !$0.isLetter && !$0.isNumber }) {
            guard out.count < maxTokensPerField else { break }
            let token = word.lowercased()
            guard token.count >= 2, token.count <= maxTokenLength, !stopWords.contains(token), seen.insert(token).inserted else { continue }
            out.append(token)
        }
        return out
    }

    /// The words of a query, tokenised like names so `date-util` and `dateutil parser` both work.
    /// Stop words are dropped unless nothing else is left. Split as `SearchEngine` splits the
    /// query (ASCII by bytes), not by Characters, which cost ~750 instructions a letter.
    public static func queryTokens(_ query: String) -> [String] {
        var out: [String] = []
        var seen = Set<String>()
        for word in SearchEngine.whitespaceSeparatedWords(query).prefix(maxTokensPerField) {
            for token in nameTokens(word) where seen.insert(token).inserted {
                out.append(token)
            }
        }
        let meaningful = out.filter { !stopWords.contains($0) }
        return meaningful.isEmpty ? out : meaningful
    }

    /// `JSONKit2` → `JSON`, `Kit`, `2`: splits at lower→upper, at the last capital of a capital
    /// run followed by a lowercase letter, and between letters and digits.
    static func splitCamelCaseAndDigits(_ word: Substring) -> [Substring] {
        let characters = Array(word.indices)
        guard characters.count > 1 else { return [word] }
        var pieces: [Substring] = []
        var start = word.startIndex
        for position in 1..<characters.count {
            let previous = word[characters[position - 1]]
            let current = word[characters[position]]
            let next = position + 1 < characters.count ? word[characters[position + 1]] : nil
            let boundary =
                (previous.isLowercase && current.isUppercase)
                || (previous.isUppercase && current.isUppercase && (next?.isLowercase ?? false))
                || (previous.isLetter && current.isNumber)
                || (previous.isNumber && current.isLetter)
            if boundary {
                pieces.append(word[start..<characters[position]])
                start = characters[position]
            }
        }
        pieces.append(word[start...])
        return pieces
    }
}

extension String {
    fileprivate func trimmingSpaces() -> String {
        String(drop(while: { $0.isWhitespace }).reversed().drop(while: { $0.isWhitespace }).reversed())
    }
}
