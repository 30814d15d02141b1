import Testing
@testable import AgoraCore

@Suite struct PackageNameTests {
    @Test func acceptsValidNamesAndComparesCaseInsensitively() throws {
        let a = try PackageIdentity(parsing: "Acme/JSON-Kit")
        let b = try PackageIdentity(parsing: "acme.json-kit")
        #expect(a == b)
        #expect(a.hashValue == b.hashValue)
        #expect(a.key == "acme/json-kit")
        #expect(a.description == "Acme/JSON-Kit")
        #expect(a.swiftPMIdentity == "Acme.JSON-Kit")
        #expect(try PackageIdentity(parsing: "a/b_c-d").name == "b_c-d")
        let longest = try PackageIdentity(scope: String(repeating: "s", count: 39), name: String(repeating: "n", count: 100))
        #expect(longest.key.count == 140)
    }

    @Test(arguments: [
        ("acme", "expected scope/name"),
        ("/json", "scope is empty"),
        ("acme/", "name is empty"),
        ("-acme/json", "must start with"),
        ("acme-/json", "must end with"),
        ("ac--me/json", "two separators"),
        ("ac_me/json", "contains \"_\""),
        ("acme/_json", "must start with"),
        ("acme/json_", "must end with"),
        ("acme/js-_on", "two separators"),
        ("acme/js on", "contains \" \""),
        ("acme/jsön", "contains \"ö\""),
        ("acme/a/b", "contains \"/\""),
        ("acme/a-\u{E9}", "contains \"\u{E9}\""),
    ])
    func rejectsBrokenRules(text: String, rule: String) {
        #expect {
            try PackageIdentity(parsing: text)
        } throws: { error in
            guard let error = error as? PackageNameError else { return false }
            return error.rule.contains(rule) && error.text == text
        }
    }

    /// The views check every peer's scope and name with the Boolean forms.
    @Test func booleanChecksAgreeWithTheThrowingOnes() {
        let texts = [
            "acme", "Acme-Kit", "a", "a-b", "a_b", "-a", "a-", "a--b", "a-_b", "a_", "caf\u{E9}", "cafe\u{301}", "\u{430}cme",
            "\u{212A}it", "zope.interface", "a b", "a/b", "", String(repeating: "s", count: 39), String(repeating: "s", count: 40),
            String(repeating: "n", count: 100), String(repeating: "n", count: 101),
        ]
        for text in texts {
            #expect(PackageIdentity.isValidScope(text) == ((try? PackageIdentity.validateScope(text)) != nil), "\(text)")
            #expect(PackageIdentity.isValidName(text) == ((try? PackageIdentity.validateName(text)) != nil), "\(text)")
        }
        #expect(PackageIdentity.isValidName("a_b") && !PackageIdentity.isValidScope("a_b"))
        #expect(PackageIdentity.isValidName(String(repeating: "s", count: 40)) && !PackageIdentity.isValidScope(String(repeating: "s", count: 40)))
        #expect(PackageIdentity.asciiLowercased("JSON-Kit\u{212A}\u{C9}") == "json-kit\u{212A}\u{C9}")
    }

    @Test func enforcesLengthLimits() {
        #expect(throws: PackageNameError.self) { try PackageIdentity(scope: String(repeating: "s", count: 40), name: "n") }
        #expect(throws: PackageNameError.self) { try PackageIdentity(scope: "s", name: String(repeating: "n", count: 101)) }
        #expect(throws: PackageNameError.self) { try PackageIdentity(parsing: String(repeating: "x", count: 10_000)) }
    }

    @Test func parsesRequestsWithRanges() throws {
        let plain = try PackageRequest(parsing: "acme/json-kit")
        #expect(plain.range == .any)
        #expect(plain.description == "acme/json-kit")
        let ranged = try PackageRequest(parsing: "acme.json-kit@^1.2")
        #expect(ranged.package == (try PackageIdentity(parsing: "acme/json-kit")))
        #expect(ranged.range.contains(SemanticVersion(1, 9, 0)))
        #expect(!ranged.range.contains(SemanticVersion(2, 0, 0)))
        #expect(ranged.description == "acme/json-kit@^1.2")
        #expect(throws: PackageRequestError.self) { try PackageRequest(parsing: "acme/json-kit@^x.y") }
        #expect(throws: PackageRequestError.self) { try PackageRequest(parsing: "acme@1.0.0") }
        #expect(throws: PackageRequestError.self) { try PackageRequest(parsing: "acme/json-kit@") }
    }
}
