import Testing
import AgoraStore
import AgoraTestSupport
@testable import AgoraViews

/// A document's terms built on bytes (`ASCIITerms`) must be the terms the tokenizer's lists
/// give (`SearchDocument.tokenizedTerms`), for every summary the byte path accepts.
@Suite struct ASCIITermsTests {
    static let pieces = [
        "json", "JSON", "Kit", "http", "HTTPServer", "my", "x", "2", "v10", "boto3", "the", "and", "The", "a", "ab",
        "python", "Python", "date", "util", "caf\u{E9}", "na\u{EF}ve", "\u{1F600}", "stra\u{DF}e", "machine", "learning",
        String(repeating: "z", count: 40), String(repeating: "y", count: 41), "abcdefgh", "abcdefghi", "abcdefgg",
    ]
    static let separators = ["", " ", "-", "_", ".", "..", ", ", ": ", "/", "  ", "+", "'"]
    /// Outside the byte path in a keyword; tab and CR LF are ASCII, which the byte path takes
    /// in names and descriptions.
    static let otherSeparators = ["\t", "\r\n", "\u{A0}"]

    static func text(_ rng: inout SeededGenerator, words: ClosedRange<Int>, unicode: Bool, controls: Bool) -> String {
        let separators = controls ? Self.separators + otherSeparators.filter { unicode || $0 != "\u{A0}" } : Self.separators
        var out = ""
        for index in 0..<Int.random(in: words, using: &rng) {
            if index > 0 || Int.random(in: 0..<4, using: &rng) == 0 { out += separators.randomElement(using: &rng)! }
            let word = pieces.randomElement(using: &rng)!
            out += unicode || word.utf8.allSatisfy({ $0 < 0x80 }) ? word : "word\(index)"
        }
        if Int.random(in: 0..<4, using: &rng) == 0 { out += separators.randomElement(using: &rng)! }
        return out
    }

    /// Summaries mostly within the byte path (plain ASCII, keywords without control bytes),
    /// some with many distinct tokens so the per-field limit bites, some outside it.
    static func summary(_ rng: inout SeededGenerator) -> SearchSummary {
        let unicode = Int.random(in: 0..<5, using: &rng) == 0
        // Tab and CR LF: plain ASCII in a name or description, outside the byte path in a keyword.
        let controls = Bool.random(using: &rng)
        let many = Int.random(in: 0..<6, using: &rng) == 0
        let name = many
            ? (0..<Int.random(in: 30...80, using: &rng)).map { "Part\($0)x" }.joined(separator: "-")
            : text(&rng, words: 1...4, unicode: unicode, controls: controls)
        let keywords = (0..<Int.random(in: 0...4, using: &rng)).map { _ in
            many && Bool.random(using: &rng)
                ? (0..<70).map { "k\($0)" }.joined(separator: ".") : text(&rng, words: 1...3, unicode: unicode, controls: unicode)
        }
        let tags = (0..<Int.random(in: 0...2, using: &rng)).map { _ in text(&rng, words: 1...2, unicode: unicode, controls: unicode) }
        let description = many
            ? (0..<Int.random(in: 60...120, using: &rng)).map { "w\($0 % 90) the" }.joined(separator: " ")
            : text(&rng, words: 0...14, unicode: unicode, controls: controls)
        return SearchSummary(
            package: PackageKey(scope: "acme", name: "p"), name: name, version: "1.0.0", description: description,
            keywords: keywords, tags: tags)
    }

    @Test(arguments: 0..<4)
    func bytePathMatchesTheTokenizer(seed: UInt64) {
        var rng = SeededGenerator(seed: 700 + seed)
        var onBytes = 0
        for _ in 0..<600 {
            let summary = Self.summary(&rng)
            let definition = SearchDocument.tokenizedTerms(summary)
            #expect(SearchDocument(summary: summary).terms == definition, "\(summary)")
            if let terms = ASCIITerms.terms(
                name: summary.name, keywords: summary.keywords, tags: summary.tags, description: summary.description)
            {
                onBytes += 1
                #expect(terms == definition, "\(summary)")
            }
        }
        // Most summaries must take the byte path, or this compares the definition with itself.
        #expect(onBytes > 400)
    }

    /// Fields as a hostile manifest could hold them, up to the manifest's limits (a
    /// 4,096-character description, 20 keywords): any ASCII byte (NUL, controls, DEL), runs of
    /// one separator, and now and then bytes ≥ 0x80 decoded with repair. Whichever path a
    /// summary takes, its terms are the definition's.
    @Test(arguments: 0..<2)
    func rawBytesGiveTheDefinitionsTerms(seed: UInt64) {
        var rng = SeededGenerator(seed: 900 + seed)
        // `printable`: space to tilde only, as the byte path takes keywords and tags.
        func field(_ maxLength: Int, printable: Bool = false) -> String {
            let length = Int.random(in: 0...maxLength, using: &rng)
            let high = !printable && Int.random(in: 0..<8, using: &rng) == 0
            let bytes: ClosedRange<UInt8> = printable ? 0x20...0x7E : high ? 0...0xFF : 0...0x7F
            let run = Int.random(in: 0..<6, using: &rng) == 0 ? UInt8.random(in: bytes, using: &rng) : nil
            let drawn = (0..<length).map { _ -> UInt8 in
                if let run, Bool.random(using: &rng) { return run }
                return UInt8.random(in: bytes, using: &rng)
            }
            return String(decoding: drawn, as: UTF8.self)
        }
        var onBytes = 0
        for _ in 0..<300 {
            let printable = Bool.random(using: &rng)
            let summary = SearchSummary(
                package: PackageKey(scope: "acme", name: "p"), name: field(64), version: "1.0.0", description: field(4_096),
                keywords: (0..<Int.random(in: 0...20, using: &rng)).map { _ in field(48, printable: printable) },
                tags: (0..<Int.random(in: 0...3, using: &rng)).map { _ in field(24, printable: printable) })
            let definition = SearchDocument.tokenizedTerms(summary)
            #expect(SearchDocument(summary: summary).terms == definition, "\(summary)")
            if ASCIITerms.terms(name: summary.name, keywords: summary.keywords, tags: summary.tags, description: summary.description) != nil {
                onBytes += 1
            }
        }
        // Both paths are exercised: about half the summaries have printable keywords and tags.
        #expect(onBytes > 75 && onBytes < 300)
    }

    @Test func bytePathRefusesWhatItCannotTrimOrCount() {
        let plain = ASCIITerms.terms(name: "Kit", keywords: [" Machine_Learning "], tags: ["web"], description: "a JSON kit")
        #expect(plain == SearchDocument.tokenizedTerms(SearchSummary(
            package: PackageKey(scope: "a", name: "kit"), name: "Kit", version: "1", description: "a JSON kit",
            keywords: [" Machine_Learning "], tags: ["web"])))
        #expect(plain?.map(\.token) == ["json", "kit", "learning", "machine", "machine-learning", "web"])
        #expect(ASCIITerms.terms(name: "Kit", keywords: ["\tjson"], tags: [], description: "") == nil)
        #expect(ASCIITerms.terms(name: "Kit", keywords: [], tags: ["a\r\nb"], description: "") == nil)
        #expect(ASCIITerms.terms(name: "Caf\u{E9}", keywords: [], tags: [], description: "") == nil)
        #expect(ASCIITerms.terms(name: "Kit", keywords: [], tags: [], description: "na\u{EF}ve") == nil)
    }

    /// The typo keys built on the stack are the keys of their definition: the name's scalars
    /// forward and backward, each behind a direction byte and the count.
    @Test(arguments: 0..<2)
    func typoKeysMatchTheirDefinition(seed: UInt64) {
        var rng = SeededGenerator(seed: 800 + seed)
        for _ in 0..<400 {
            let name = Tokenizer.normaliseName(Self.text(&rng, words: 0...6, unicode: Bool.random(using: &rng), controls: true))
            let scalars = Array(name.unicodeScalars)
            let expected: [[UInt8]] = scalars.isEmpty || scalars.count > TypoKeys.maxIndexedLength ? [] : [
                [TypoKeys.forward, UInt8(scalars.count)] + Array(name.utf8),
                [TypoKeys.backward, UInt8(scalars.count)] + Array(String(String.UnicodeScalarView(scalars.reversed())).utf8),
            ]
            #expect(TypoKeys.keys(for: name) == expected, "\(name.debugDescription)")
        }
    }
}
