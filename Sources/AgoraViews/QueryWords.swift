/// The index words a query word stands for: itself, its English inflections and a few
/// well-known short forms, looked up at query time so the index keeps the words as written.
///
/// One-line summaries say "parsing" or "dates" where a person types "parser" or "date", and
/// name a database "PostgreSQL" where people type "postgres"; without this the word match misses
/// the package outright. Only forms that share the word's stem are tried (plural and verb
/// endings), so unrelated words never match.
public enum QueryWords {
    /// Short forms people type for a longer name (both directions). Kept small and literal:
    /// each entry is a spelling of one thing, not a synonym.
    public static let aliases: [String: [String]] = [
        "postgres": ["postgresql"], "postgresql": ["postgres"],
        "mongo": ["mongodb"], "mongodb": ["mongo"],
        "k8s": ["kubernetes"], "kubernetes": ["k8s"],
        "yml": ["yaml"], "yaml": ["yml"],
    ]

    /// Endings stripped to find a word's stem, longest first.
    static let endings = ["ings", "ing", "ers", "ies", "es", "er", "ed", "s", "e"]
    /// Endings added back to the stem: the noun and verb forms of one word.
    static let forms = ["", "e", "s", "es", "er", "ers", "ing", "ed"]
    /// Shorter words are left alone: their endings are as likely part of the word (`gas`, `bus`).
    static let minimumLength = 4

    /// `word` first, then the other index words with its stem, then its aliases; each once.
    public static func variants(of word: String) -> [String] {
        var out = [word]
        func add(_ candidate: String) {
            if candidate.utf8.count >= 2, candidate.utf8.count <= Tokenizer.maxTokenLength, !out.contains(candidate) { out.append(candidate) }
        }
        if let stem = stem(word) {
            // A word without an ending keeps its letters: `client` gains `clients`, not `cliente`.
            for ending in forms where stem != word || ending != "e" { add(stem + ending) }
            if endsWith(word.utf8, "ies") || endsWith(word.utf8, "y") { add(stem + "y"); add(stem + "ies") }
        }
        for alias in aliases[word] ?? [] { add(alias) }
        return out
    }

    /// The word without its inflectional ending (the word itself when it has none), or nil
    /// when it is too short or not plain lowercase ASCII letters. `y` words keep their stem
    /// without the `y` (`library`, `libraries` → `librar`). A plain `s` comes off only a stem of
    /// four letters or more not ending in `s`, `u` or `i` (`tools`, but not `news`, `redis`).
    static func stem(_ word: String) -> String? {
        let bytes = Array(word.utf8)
        guard bytes.count >= minimumLength, bytes.allSatisfy({ (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) }) else { return nil }
        if endsWith(bytes, "y") { return String(word.dropLast()) }
        for ending in endings where endsWith(bytes, ending) {
            let stem = bytes.dropLast(ending.utf8.count)
            guard stem.count >= 3 else { continue }
            if ending == "s" {
                guard stem.count >= 4, let last = stem.last, !"sui".utf8.contains(last) else { continue }
            }
            return String(decoding: stem, as: UTF8.self)
        }
        return word
    }

    /// `hasSuffix` for plain lowercase ASCII, where bytes are characters: compared as bytes,
    /// without the Unicode-aware comparison (a query looks up a dozen endings per word).
    private static func endsWith(_ word: some BidirectionalCollection<UInt8>, _ ending: String) -> Bool {
        word.reversed().starts(with: ending.utf8.reversed())
    }
}
