import Testing
@testable import AgoraCore

@Suite struct VersionRangeTests {
    func v(_ text: String) -> SemanticVersion { try! SemanticVersion(parsing: text) }

    func check(_ range: String, accepts: [String], rejects: [String]) throws {
        let parsed = try VersionRange(parsing: range)
        for text in accepts { #expect(parsed.contains(v(text)), "\(range) should contain \(text)") }
        for text in rejects { #expect(!parsed.contains(v(text)), "\(range) should not contain \(text)") }
    }

    @Test func anyAndExact() throws {
        try check("*", accepts: ["0.0.0", "1.2.3", "99.0.0"], rejects: ["1.0.0-beta"])
        try check("1.2.3", accepts: ["1.2.3", "1.2.3+build"], rejects: ["1.2.4", "1.2.2"])
        try check("=1.2.3", accepts: ["1.2.3"], rejects: ["1.2.4"])
        #expect(try VersionRange(parsing: "=1.2.3").exactVersion == v("1.2.3"))
        #expect(try VersionRange(parsing: "^1.2.3").exactVersion == nil)
    }

    @Test func caret() throws {
        try check("^1.2.3", accepts: ["1.2.3", "1.9.0", "1.99.99"], rejects: ["1.2.2", "2.0.0", "2.0.0-alpha", "1.3.0-beta"])
        try check("^0.2.3", accepts: ["0.2.3", "0.2.9"], rejects: ["0.3.0", "0.2.2", "1.0.0"])
        try check("^0.0.3", accepts: ["0.0.3"], rejects: ["0.0.4", "0.0.2"])
        try check("^1.2", accepts: ["1.2.0", "1.5.0"], rejects: ["2.0.0", "1.1.9"])
        try check("^0.0", accepts: ["0.0.0", "0.0.9"], rejects: ["0.1.0"])
        try check("^1", accepts: ["1.0.0", "1.9.9"], rejects: ["2.0.0", "0.9.9"])
        try check("^1.2.3-beta.2", accepts: ["1.2.3-beta.2", "1.2.3-beta.10", "1.2.3", "1.5.0"],
                  rejects: ["1.2.3-beta.1", "1.2.4-beta.1", "2.0.0"])
    }

    @Test func tilde() throws {
        try check("~1.2.3", accepts: ["1.2.3", "1.2.9"], rejects: ["1.3.0", "1.2.2"])
        try check("~1.2", accepts: ["1.2.0", "1.2.9"], rejects: ["1.3.0"])
        try check("~1", accepts: ["1.0.0", "1.9.0"], rejects: ["2.0.0"])
    }

    @Test func wildcards() throws {
        for range in ["1.2.x", "1.2.*", "1.2.X", "1.2"] {
            try check(range, accepts: ["1.2.0", "1.2.7"], rejects: ["1.3.0", "1.1.9"])
        }
        for range in ["1.x", "1.*", "1", "1.x.x"] {
            try check(range, accepts: ["1.0.0", "1.9.9"], rejects: ["2.0.0", "0.9.0"])
        }
        try check("x", accepts: ["0.1.0", "5.0.0"], rejects: [])
    }

    @Test func comparatorsAndConjunctions() throws {
        try check(">=1.2.3 <2.0.0", accepts: ["1.2.3", "1.9.9"], rejects: ["1.2.2", "2.0.0", "2.0.0-rc.1"])
        try check(">= 1.2.3 < 1.5", accepts: ["1.4.9"], rejects: ["1.5.0", "1.5.0-alpha"])
        try check(">1.2.3", accepts: ["1.2.4"], rejects: ["1.2.3"])
        try check(">1.2", accepts: ["1.3.0"], rejects: ["1.2.9"])
        try check("<=1.2", accepts: ["1.2.9"], rejects: ["1.3.0"])
        try check("<=1.2.3", accepts: ["1.2.3"], rejects: ["1.2.4"])
        try check("<1.2", accepts: ["1.1.9"], rejects: ["1.2.0"])
    }

    @Test func hyphenRanges() throws {
        try check("1.2.3 - 2.3.4", accepts: ["1.2.3", "2.3.4"], rejects: ["1.2.2", "2.3.5"])
        try check("1.2 - 2.3", accepts: ["1.2.0", "2.3.9"], rejects: ["1.1.9", "2.4.0"])
        try check("1 - 2", accepts: ["1.0.0", "2.9.9"], rejects: ["3.0.0"])
    }

    @Test func alternatives() throws {
        try check("^1.0.0 || ^3.0.0", accepts: ["1.5.0", "3.1.0"], rejects: ["2.0.0", "4.0.0"])
        try check("1.2.3 || >=2.0.0 <2.1.0", accepts: ["1.2.3", "2.0.5"], rejects: ["1.2.4", "2.1.0"])
    }

    @Test func prereleasesNeedAMatchingTupleInTheSameSet() throws {
        try check(">=1.0.0-alpha <1.0.1", accepts: ["1.0.0-beta", "1.0.0"], rejects: ["1.0.1-alpha"])
        try check(">1.2.3-alpha.3", accepts: ["1.2.3-alpha.7", "3.4.5"], rejects: ["3.4.5-alpha.9"])
        try check("^1.0.0-rc.1 || ^2.0.0", accepts: ["1.0.0-rc.2"], rejects: ["2.0.1-rc.1"])
    }

    @Test func highestPicksTheGreatestMatch() throws {
        let versions = ["1.0.0", "1.4.2", "1.10.0", "2.0.0", "1.11.0-beta"].map(v)
        #expect(try VersionRange(parsing: "^1.0.0").highest(in: versions) == v("1.10.0"))
        #expect(try VersionRange(parsing: "~1.4").highest(in: versions) == v("1.4.2"))
        #expect(try VersionRange(parsing: "^3").highest(in: versions) == nil)
    }

    @Test func keepsTheUserText() throws {
        let range = try VersionRange(parsing: "  ^1.2.3  ")
        #expect(range.description == "^1.2.3")
        #expect(range == (try VersionRange(parsing: ">=1.2.3 <2.0.0-0")))
    }

    @Test(arguments: [
        ("", "empty range"),
        ("   ", "empty range"),
        ("^1.0.0 ||", "empty alternative"),
        ("|| 1.0.0", "empty alternative"),
        ("1.2.3 -", "hyphen range"),
        ("1.2.3 - 2.0.0 - 3.0.0", "hyphen range"),
        (">=", "no version"),
        ("^", "no version"),
        (">=>1.0.0", "unexpected operator"),
        ("1.2.3.4", "more than three"),
        ("1.x.3", "cannot follow a wildcard"),
        ("^01.2.3", "leading zero"),
        ("banana", "not a number"),
        ("1.2-beta", "expected MAJOR.MINOR.PATCH"),
        ("^1.2.3-", "empty identifier"),
    ])
    func rejectsInvalidRanges(text: String, reason: String) {
        #expect {
            try VersionRange(parsing: text)
        } throws: { error in
            guard let error = error as? VersionRangeError else { return false }
            return error.reason.contains(reason) && error.description.contains("invalid version range")
        }
    }

    @Test func boundsInputSize() {
        let long = Array(repeating: "1.0.0", count: 300).joined(separator: " || ")
        #expect(throws: VersionRangeError.self) { try VersionRange(parsing: long) }
        let many = Array(repeating: ">=1.0.0", count: 65).joined(separator: " ")
        #expect {
            try VersionRange(parsing: many)
        } throws: { ($0 as? VersionRangeError)?.reason.contains("comparators") == true }
    }
}
