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
