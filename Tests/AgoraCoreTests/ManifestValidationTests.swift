import Testing
@testable import AgoraCore

@Suite struct ManifestValidationTests {
    func decode(_ json: String) throws -> Manifest {
        try Manifest.decode(file: "agora.json", json: Array(json.utf8))
    }

    func decodeError(_ json: String) -> ManifestDecodeError? {
        do {
            _ = try decode(json)
            return nil
        } catch {
            return error as? ManifestDecodeError
        }
    }

    @Test func validManifestNormalisesKeywords() throws {
        let manifest = try decode("""
            {"scope": "acme", "name": "json-kit", "version": "1.2.0",
             "keywords": [" JSON ", "json", "Parser"], "tags": ["Fast"],
             "dependencies": {"acme/strings": "^1.0.0", "Other.Pkg": "~2.1"}}
            """)
        let validated = try manifest.validated()
        #expect(validated.manifest.keywords == ["json", "parser"])
        #expect(validated.manifest.tags == ["fast"])
        #expect(validated.package.key == "acme/json-kit")
        #expect(validated.version == SemanticVersion(1, 2, 0))
        #expect(validated.dependencies.count == 2)
        #expect(validated.dependencies[try PackageIdentity(parsing: "other/pkg")]?.contains(SemanticVersion(2, 1, 5)) == true)
    }

    @Test func malformedJSONNamesTheFile() {
        let error = decodeError("{\"scope\": \"acme\", ")
        #expect(error?.file == "agora.json")
        #expect(error?.problem.hasPrefix("not valid JSON") == true)
        #expect(error?.description.hasPrefix("agora.json: not valid JSON") == true)
        #expect(decodeError("{\"scope\": \"acme\",, }")?.problem.contains("(") == true)
    }

    @Test func missingFieldIsNamed() {
        let error = decodeError(#"{"scope": "acme", "name": "x"}"#)
        #expect(error?.problem == #"missing field "version""#)
    }

    @Test func wrongTypeNamesThePath() {
        #expect(decodeError(#"{"scope": "acme", "name": "x", "version": 1}"#)?.problem
            == #"wrong type at "version": expected a string"#)
        #expect(decodeError(#"{"scope": "acme", "name": "x", "version": "1.0.0", "keywords": ["a", 2]}"#)?.problem
            == #"wrong type at "keywords[1]": expected a string"#)
        #expect(decodeError(#"{"scope": "acme", "name": "x", "version": "1.0.0", "dependencies": {"a/b": 1}}"#)?.problem
            == #"wrong type at "dependencies.a/b": expected a string"#)
        #expect(decodeError(#"["not", "an", "object"]"#)?.problem.hasPrefix("wrong type at \"the top level\"") == true)
    }

    @Test func oversizeFileIsRefused() {
        let json = "{\"scope\": \"" + String(repeating: "a", count: 70_000) + "\"}"
        #expect(decodeError(json)?.problem.contains("the limit is") == true)
    }

    @Test func collectsEveryIssueWithItsField() {
        let manifest = Manifest(
            scope: "-bad", name: "ok", version: "1.0", description: String(repeating: "d", count: 5000),
            keywords: Array(repeating: "k", count: 21) + [""], license: "",
            authors: [String(repeating: "a", count: 201)],
            dependencies: ["nope": "^1.0.0", "acme/x": "^^1", "-bad/ok": "1.0.0"])
        #expect {
            try manifest.validated()
        } throws: { error in
            guard let error = error as? ManifestValidationError else { return false }
            let fields = Set(error.issues.map(\.field))
            let expected: Set<String> = [
                "scope", "version", "description", "keywords", "keywords[21]", "license", "authors[0]",
                "dependencies.nope", "dependencies.acme/x",
            ]
            return expected.isSubset(of: fields) && error.description.contains("version: invalid version \"1.0\"")
        }
    }

    @Test func refusesSelfAndDuplicateDependencies() {
        let manifest = Manifest(
            scope: "acme", name: "kit", version: "1.0.0",
            dependencies: ["Acme/Kit": "*", "acme/other": "^1", "ACME/OTHER": "^2"])
        #expect {
            try manifest.validated()
        } throws: { error in
            guard let error = error as? ManifestValidationError else { return false }
            let problems = error.issues.map(\.description)
            return problems.contains { $0.contains("Acme/Kit") && $0.contains("itself") }
                && problems.contains { $0.contains("listed twice") }
        }
    }
}
