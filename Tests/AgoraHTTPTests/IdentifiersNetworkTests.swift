import AgoraCore
import AgoraHTTP
import AgoraTestSupport
import Foundation
import Testing

/// `GET /identifiers?url=`: repository URLs declared in release metadata map to package
/// identifiers, compared as SwiftPM compares package locations.
@Suite struct IdentifiersNetworkTests {
    static func identifiers(_ client: RawHTTP, _ url: String) async throws -> RawHTTP.Response {
        let query = url.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? url
        return try await client.request("GET", "/identifiers?url=" + query, headers: RegistryAPINetworkTests.accept)
    }

    @Test func declaredRepositoriesAnswerInEverySpelling() async throws {
        let archive = try Fixtures.zip(Fixtures.library(greeting: "one"))
        let folder = try TemporaryDirectory()
        for (path, text) in Fixtures.library(greeting: "mirror") { try folder.write("Greeter/" + path, text) }
        try folder.write("Greeter/package-metadata.json", #"{"repositoryURLs":["git@github.com:Mona/Greeter.git"]}"#)
        try await TestNode.with { node in
            let client = node.client
            #expect(try await Self.identifiers(client, "https://github.com/mona/Greeter").status == 404)
            let metadata = #"{"description":"Greets","repositoryURLs":["https://github.com/Mona/Greeter.git","https://gitlab.com/mona/greeter"]}"#
            #expect(try await RegistryAPINetworkTests.publish(client, "/acme/Greeter/1.0.0", archive: archive, metadata: metadata).status == 201)

            for spelling in ["https://github.com/mona/Greeter", "https://github.com/Mona/Greeter.git", "git@github.com:mona/greeter.git",
                             "ssh://git@github.com/mona/Greeter", "github.com/MONA/greeter/", "https://gitlab.com/mona/greeter.git"] {
                let found = try await Self.identifiers(client, spelling)
                #expect(found.status == 200, "\(spelling): \(found)")
                #expect(found.headers["content-type"] == "application/json")
                #expect(found.json?["identifiers"] as? [String] == ["acme.Greeter"], "\(spelling): \(found)")
            }
            for (url, status) in [("https://github.com/mona/Other", 404), ("https://github.com/other/Greeter", 404), ("https://", 400)] {
                let response = try await Self.identifiers(client, url)
                #expect(response.status == status, "\(url): \(response)")
                #expect(response.headers["content-type"] == "application/problem+json")
            }
            let release = try await client.request("GET", "/acme/Greeter/1.0.0", headers: RegistryAPINetworkTests.accept)
            let declared = (release.json?["metadata"] as? [String: Any])?["repositoryURLs"] as? [String]
            #expect(declared == ["https://github.com/Mona/Greeter.git", "https://gitlab.com/mona/greeter"], "\(release)")

            // Another package (published by another process, from a folder's
            // package-metadata.json) declaring the same repository is listed beside it.
            let published = try await ResponseCacheNetworkTests.agora(
                ["publish", folder.url.appendingPathComponent("Greeter").path, "--scope", "mirror", "--version", "1.0.0"], home: node.home)
            #expect(published.status == 0, "\(published)")
            let both = try await Self.identifiers(client, "https://github.com/mona/greeter")
            #expect(both.json?["identifiers"] as? [String] == ["acme.Greeter", "mirror.Greeter"], "\(both)")

            let invalid = #"{"repositoryURLs":["https://"]}"#
            let refused = try await RegistryAPINetworkTests.publish(client, "/acme/Greeter/2.0.0", archive: archive, metadata: invalid)
            #expect(refused.status == 422, "\(refused)")
            #expect(refused.text.contains("repositoryURLs[0]"), "\(refused)")
        }
    }
}
