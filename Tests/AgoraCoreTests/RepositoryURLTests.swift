import AgoraCore
import Testing

/// Repository URLs reduce to the form SwiftPM compares package locations in.
@Suite struct RepositoryURLTests {
    @Test(arguments: [
        ("https://github.com/mona/LinkedList", "github.com/mona/linkedlist"),
        ("https://github.com/Mona/LinkedList.git", "github.com/mona/linkedlist"),
        ("http://github.com/mona/LinkedList/", "github.com/mona/linkedlist"),
        ("git@github.com:mona/LinkedList.git", "github.com/mona/linkedlist"),
        ("ssh://git@github.com/mona/LinkedList.git", "github.com/mona/linkedlist"),
        ("ssh://git@github.com:22/mona/LinkedList", "github.com/mona/linkedlist"),
        ("https://github.com:443/mona/LinkedList", "github.com/mona/linkedlist"),
        ("github.com/mona/LinkedList", "github.com/mona/linkedlist"),
        ("https://user:secret@github.com/mona/LinkedList", "github.com/mona/linkedlist"),
        ("https://github.com/mona/LinkedList#readme", "github.com/mona/linkedlist"),
        ("https://github.com/mona/LinkedList?utm_source=x", "github.com/mona/linkedlist"),
        ("https://github.com//mona///LinkedList", "github.com/mona/linkedlist"),
        ("https://example.com/mona/%F0%9F%94%97List", "example.com/mona/🔗list"),
        ("ssh://mona@example.com/~/LinkedList.git", "example.com/~mona/linkedlist"),
        ("file:///Users/mona/LinkedList", "/users/mona/linkedlist"),
        ("/Users/mona/LinkedList.git", "/users/mona/linkedlist"),
        ("HTTPS://GITHUB.COM/MONA/LINKEDLIST.GIT", "github.com/mona/linkedlist"),
    ])
    func reducesAsSwiftPMDoes(url: String, canonical: String) {
        #expect(RepositoryURL.canonical(url) == canonical, "\(url)")
    }

    @Test func nothingToNameIsNil() {
        for text in ["", "https://", "/", ".git", String(repeating: "a", count: RepositoryURL.maxLength + 1)] {
            #expect(RepositoryURL.canonical(text) == nil, "\(text.prefix(20))")
        }
    }

    /// Seeded garbage never traps and gives either nil or a lowercase location without a
    /// query, fragment, empty path component or `.git` ending.
    @Test func arbitraryTextIsHandled() {
        var random = SplitMix64(seed: 0x5eed)
        let alphabet = Array("aZ09:/@.~#?%-_+ gitGIT\u{e9}\u{1F517}")
        for _ in 0..<5000 {
            let length = Int(random.next() % 80)
            let text = String((0..<length).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] })
            if let canonical = RepositoryURL.canonical(text) {
                #expect(!canonical.isEmpty && canonical == canonical.lowercased(), "\(text)")
                #expect(!canonical.contains("#") && !canonical.contains("?") && !canonical.hasSuffix(".git"), "\(text)")
                #expect(!canonical.dropFirst().contains("//") && !canonical.hasSuffix("/"), "\(text)")
            }
        }
    }

    @Test func manifestsBoundTheirRepositoryURLs() throws {
        var manifest = Manifest(scope: "acme", name: "json", version: "1.0.0", repositoryURLs: ["https://github.com/acme/json"])
        #expect(throws: Never.self) { try manifest.validated() }
        manifest.repositoryURLs = Array(repeating: "https://github.com/acme/json", count: ManifestLimits().maxRepositoryURLs + 1)
        #expect(throws: ManifestValidationError.self) { try manifest.validated() }
        for bad in ["", "https://", "a\nb", String(repeating: "a", count: RepositoryURL.maxLength + 1)] {
            manifest.repositoryURLs = [bad]
            #expect(throws: ManifestValidationError.self, "\(bad.prefix(20))") { try manifest.validated() }
        }
    }

    /// A manifest without repository URLs has the canonical bytes it had before the field.
    @Test func emptyRepositoryURLsLeaveCanonicalBytesAlone() throws {
        let manifest = Manifest(scope: "acme", name: "json", version: "1.0.0")
        #expect(String(decoding: manifest.canonicalJSON(), as: UTF8.self)
            == #"{"authors":[],"dependencies":{},"description":"","keywords":[],"name":"json","scope":"acme","tags":[],"version":"1.0.0"}"#)
        var withURL = manifest
        withURL.repositoryURLs = ["https://github.com/acme/json"]
        #expect(try Manifest.decode(json: withURL.canonicalJSON()) == withURL)
    }
}
