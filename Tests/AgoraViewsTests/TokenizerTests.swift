import AgoraCore
import Testing
import AgoraStore
import AgoraTestSupport
@testable import AgoraViews

@Suite struct TokenizerTests {
    @Test func normalisesNamesLikePEP503() {
        #expect(Tokenizer.normaliseName("Typing_Extensions") == "typing-extensions")
        #expect(Tokenizer.normaliseName("zope.interface") == "zope-interface")
        #expect(Tokenizer.normaliseName("a-_.b__c") == "a-b-c")
    }

    @Test func splitsNames() {
        #expect(Tokenizer.nameTokens("python-dateutil") == ["python", "dateutil"])
        #expect(Tokenizer.nameTokens("JSONKit") == ["jsonkit", "json", "kit"])
        #expect(Tokenizer.nameTokens("swift_nio.ssl") == ["swift", "nio", "ssl"])
        #expect(Tokenizer.nameTokens("boto3") == ["boto3", "boto"])
        #expect(Tokenizer.nameTokens("myHTTPServer") == ["myhttpserver", "my", "http", "server"])
        #expect(Tokenizer.nameTokens("x") == [])
    }

    @Test func keywordsKeepTheWholeAndTheParts() {
        #expect(Tokenizer.keywordTokens("machine-learning") == ["machine-learning", "machine", "learning"])
        #expect(Tokenizer.keywordTokens(" JSON ") == ["json"])
    }

    @Test func textDropsStopWordsShortWordsAndRepeats() {
        #expect(Tokenizer.textTokens("The AWS SDK for Python, and the python SDK: a b 3d") == ["aws", "sdk", "python", "3d"])
    }

    @Test func textIsBounded() {
        let long = (0..<500).map { "word\($0)" }.joined(separator: " ") + " " + String(repeating: "z", count: 100)
        let tokens = Tokenizer.textTokens(long)
        #expect(tokens.count == Tokenizer.maxTokensPerField)
        #expect(tokens.allSatisfy { $0.count <= Tokenizer.maxTokenLength })
    }

    @Test func queriesUseNameRulesAndKeepStopWordsOnlyWhenAlone() {
        #expect(Tokenizer.queryTokens("HTTP client for the web") == ["http", "client", "web"])
        #expect(Tokenizer.queryTokens("the") == ["the"])
        #expect(Tokenizer.queryTokens("date-util parser") == ["date", "util", "parser"])
    }
}

/// The byte-level tokenizer must give exactly what the Character-based definition gives.
@Suite struct ASCIITokenizerTests {
    static let alphabet = Array("abcXYZ09 -_.,:'\t\r\nAaBbQq7&/")

    @Test(arguments: 0..<4)
    func asciiPathMatchesTheDefinition(seed: UInt64) {
        var rng = SeededGenerator(seed: 40 + seed)
        for _ in 0..<500 {
            let length = Int.random(in: 0...60, using: &rng)
            let text = String((0..<length).map { _ in Self.alphabet.randomElement(using: &rng)! })
            #expect(Tokenizer.textTokens(text) == Tokenizer.characterTextTokens(text), "\(text.debugDescription)")
            #expect(Tokenizer.nameTokens(text) == Tokenizer.characterNameTokens(text), "\(text.debugDescription)")
            #expect(Tokenizer.normaliseName(text) == Tokenizer.characterNormaliseName(text), "\(text.debugDescription)")
        }
    }

    /// Stop words are matched on bytes in the ASCII path: every stop word, in any case, next
    /// to words that share its prefix or extend it, must drop out exactly as the definition drops it.
    @Test(arguments: 0..<4)
    func stopWordsMatchTheDefinition(seed: UInt64) {
        var rng = SeededGenerator(seed: 90 + seed)
        let words = Tokenizer.stopWords.sorted() + ["th", "thee", "theirs", "whic", "whichever", "yo", "yours", "ax", "iso", "ok"]
        for _ in 0..<300 {
            let text = (0..<Int.random(in: 1...12, using: &rng)).map { _ in
                String(words.randomElement(using: &rng)!.map { Bool.random(using: &rng) ? Character($0.uppercased()) : $0 })
            }.joined(separator: [" ", "-", ", ", "."].randomElement(using: &rng)!)
            #expect(Tokenizer.textTokens(text) == Tokenizer.characterTextTokens(text), "\(text.debugDescription)")
            #expect(ASCIITokens.textTokens(text) != nil)
        }
    }

    @Test func nonASCIIFallsBackToCharacters() {
        #expect(ASCIITokens.textTokens("café au lait") == nil)
        #expect(ASCIITokens.normaliseName("Café_Au") == nil)
        #expect(Tokenizer.normaliseName("Café__Au.") == "café-au-")
        #expect(Tokenizer.textTokens("café au lait") == ["café", "au", "lait"])
    }
}

/// The manifest scanner answers exactly what JSONDecoder answers, or defers to it.
@Suite struct ManifestSearchFieldsTests {
    static func decoded(_ json: [UInt8]) -> ManifestSearchFields? {
        guard let manifest = try? Manifest.decode(json: json) else { return nil }
        return ManifestSearchFields(
            description: manifest.description, keywords: manifest.keywords, tags: manifest.tags, authors: manifest.authors)
    }

    @Test func canonicalManifestsMatchTheDecoder() {
        var rng = SeededGenerator(seed: 5)
        let words = ["json", "fast", "é", "a\"b", "back\\slash", "", "tab\there", "ünïcode"]
        for _ in 0..<200 {
            let pick = { (count: Int) in (0..<count).map { _ in words.randomElement(using: &rng)! } }
            let manifest = Manifest(
                scope: "acme", name: "tool", version: "1.0.0", description: pick(3).joined(separator: " "),
                keywords: pick(Int.random(in: 0...3, using: &rng)), tags: pick(Int.random(in: 0...2, using: &rng)),
                license: Bool.random(using: &rng) ? "MIT" : nil, authors: pick(Int.random(in: 0...2, using: &rng)),
                dependencies: Bool.random(using: &rng) ? ["acme/json": "^1.0.0"] : [:])
            let json = manifest.canonicalJSON()
            #expect(ManifestSearchFields.read(json) == Self.decoded(json), "\(String(decoding: json, as: UTF8.self))")
        }
    }

    @Test(arguments: [
        #"{"name":"t","scope":"a","version":"1"}"#,
        #"{"name":"t","scope":"a"}"#,
        #"{"name":"t","scope":"a","version":"1","keywords":[1]}"#,
        #"{"name":"t","scope":"a","version":"1","license":null}"#,
        #"{"name":"t","scope":"a","version":"1","extra":{"x":[1,2]}}"#,
        #"{ "name" : "t", "scope":"a","version":"1","description":"d"}"#,
        #"{"name":"t","scope":"a","version":"1","dependencies":{"a/b":2}}"#,
        #"{"name":"t","scope":"a","version":"1"} trailing"#,
        #"["not","an","object"]"#,
        #"{"name":"t","scope":"a","version":"1","description":"\u00e9\n"}"#,
    ])
    func unusualManifestsMatchTheDecoder(json: String) {
        #expect(ManifestSearchFields.read(Array(json.utf8)) == Self.decoded(Array(json.utf8)))
    }
}
