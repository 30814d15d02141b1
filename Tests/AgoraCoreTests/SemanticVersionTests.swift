import Testing
@testable import AgoraCore

@Suite struct SemanticVersionTests {
    @Test func parsesAllParts() throws {
        let version = try SemanticVersion(parsing: "1.22.333-beta.2.x-y+build.007")
        #expect(version.major == 1 && version.minor == 22 && version.patch == 333)
        #expect(version.prerelease == ["beta", "2", "x-y"])
        #expect(version.build == ["build", "007"])
        #expect(version.description == "1.22.333-beta.2.x-y+build.007")
        #expect(version.isPrerelease)
        #expect(version.release == SemanticVersion(1, 22, 333))
    }

    @Test func ordersBySpecPrecedence() throws {
        // The sequence from SemVer 2.0.0 §11, ascending.
        let texts = [
            "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2",
            "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.0.1", "1.1.0", "2.0.0", "10.0.0",
        ]
        let versions = try texts.map { try SemanticVersion(parsing: $0) }
        for (lower, higher) in zip(versions, versions.dropFirst()) {
            #expect(lower < higher, "\(lower) < \(higher)")
            #expect(!(higher < lower))
        }
        #expect(versions.shuffled().sorted() == versions)
    }

    @Test func buildMetadataIsIgnoredForPrecedence() throws {
        let a = try SemanticVersion(parsing: "1.0.0+a")
        let b = try SemanticVersion(parsing: "1.0.0+b")
        #expect(a == b)
        #expect(!(a < b) && !(b < a))
        #expect(Set([a, b]).count == 1)
        #expect(a.description == "1.0.0+a")
    }

    @Test func largeNumericPrereleaseIdentifiersCompareNumerically() throws {
        let small = try SemanticVersion(parsing: "1.0.0-99999999999999999999")
        let large = try SemanticVersion(parsing: "1.0.0-100000000000000000000")
        #expect(small < large)
    }

    @Test(arguments: [
        ("", "empty version"),
        ("1.2", "expected MAJOR.MINOR.PATCH"),
        ("1.2.3.4", "expected MAJOR.MINOR.PATCH"),
        ("01.2.3", "leading zero"),
        ("1.02.3", "leading zero"),
        ("1.2.3-01", "leading zero"),
        ("1.2.3-", "empty identifier"),
        ("1.2.3-a..b", "empty identifier"),
        ("1.2.3+", "empty identifier"),
        ("1.2.3-beta_1", "may only hold"),
        ("v1.2.3", "leading \"v\""),
        ("1.2.x", "not a number"),
        ("a.b.c", "not a number"),
        ("1..3", "minor version is empty"),
        (" 1.2.3", "not a number"),
        ("99999999999999999999.0.0", "too large"),
    ])
    func rejectsInvalidText(text: String, reason: String) {
        #expect {
            try SemanticVersion(parsing: text)
        } throws: { error in
            guard let error = error as? SemanticVersionError else { return false }
            return error.reason.contains(reason) && error.text == text && error.description.contains("invalid version")
        }
    }

    @Test func rejectsOverlongInput() {
        let text = "1.0.0-" + String(repeating: "a", count: 300)
        #expect(throws: SemanticVersionError.self) { try SemanticVersion(parsing: text) }
        let ok = "1.0.0-" + String(repeating: "a", count: 250)
        #expect((try? SemanticVersion(parsing: ok)) != nil)
    }
}
