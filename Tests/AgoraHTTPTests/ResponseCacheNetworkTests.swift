import AgoraCore
import AgoraHTTP
import AgoraTestSupport
import Foundation
import Testing

/// Registry responses are cached per package; a publish or yank by another `agora` process on
/// the same home shows in the very next response.
@Suite struct ResponseCacheNetworkTests {
    static func agora(_ arguments: [String], home: URL) async throws -> Subprocess.Result {
        try await Subprocess.run(ServeHTTPNetworkTests.agora.path, arguments, environment: ["AGORA_HOME": home.path])
    }

    static func versions(_ client: RawHTTP) async throws -> [String: Bool] {
        let list = try await client.request("GET", "/acme/Greeter", headers: RegistryAPINetworkTests.accept)
        let releases = try #require(list.json?["releases"] as? [String: [String: Any]], "\(list)")
        return releases.mapValues { $0["problem"] != nil }
    }

    @Test func publishAndYankByAnotherProcessShowInTheNextResponse() async throws {
        let archive = try Fixtures.zip(Fixtures.library(greeting: "one"))
        let folder = try TemporaryDirectory()
        for (path, text) in Fixtures.library(greeting: "two") { try folder.write("Greeter/" + path, text) }
        try await TestNode.with { node in
            let client = node.client
            #expect(try await RegistryAPINetworkTests.publish(client, "/acme/Greeter/1.0.0", archive: archive).status == 201)
            // Twice each, so the second answer comes from the cache.
            for _ in 0..<2 {
                #expect(try await Self.versions(client) == ["1.0.0": false])
                let metadata = try await client.request("GET", "/acme/Greeter/1.0.0", headers: RegistryAPINetworkTests.accept)
                #expect(metadata.headers["link"]?.contains("successor-version") == false, "\(metadata)")
                #expect(try await client.request("GET", "/acme/Greeter/1.0.0.zip").body == archive)
            }

            let published = try await Self.agora(
                ["publish", folder.url.appendingPathComponent("Greeter").path, "--scope", "acme", "--version", "1.1.0"], home: node.home)
            #expect(published.status == 0, "\(published)")
            #expect(try await Self.versions(client) == ["1.0.0": false, "1.1.0": false])
            let metadata = try await client.request("GET", "/acme/Greeter/1.0.0", headers: RegistryAPINetworkTests.accept)
            #expect(metadata.headers["link"]?.contains("/acme/Greeter/1.1.0>; rel=\"successor-version\"") == true, "\(metadata)")
            #expect(metadata.headers["link"]?.contains("/acme/Greeter/1.1.0>; rel=\"latest-version\"") == true, "\(metadata)")

            let yanked = try await Self.agora(["yank", "acme/Greeter@1.1.0", "--reason", "broken"], home: node.home)
            #expect(yanked.status == 0, "\(yanked)")
            #expect(try await Self.versions(client) == ["1.0.0": false, "1.1.0": true])
            let after = try await client.request("GET", "/acme/Greeter/1.0.0", headers: RegistryAPINetworkTests.accept)
            #expect(after.headers["link"]?.contains("successor-version") == false, "\(after)")
            #expect(after.headers["link"]?.contains("/acme/Greeter/1.0.0>; rel=\"latest-version\"") == true, "\(after)")
            let yankedMetadata = try await client.request("GET", "/acme/Greeter/1.1.0", headers: RegistryAPINetworkTests.accept)
            #expect((yankedMetadata.json?["metadata"] as? [String: Any])?["agoraYanked"] as? Bool == true, "\(yankedMetadata)")
        }
    }
}
