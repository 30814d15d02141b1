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

    /// Reads answered from the cache before routing (the second and third of each request)
    /// equal the router's answer (the first, made right after a store commit, which no kept
    /// response survives unchecked): status, headers but `Date`, and body, for every shape of
    /// registry read, for misses, and for requests the fast path must leave alone.
    @Test func cachedReadsAnswerAsTheRouterDoes() async throws {
        let archive = try Fixtures.zip(Fixtures.library(greeting: "one"))
        try await TestNode.with { node in
            let client = node.client
            for version in ["1.0.0", "1.1.0"] {
                #expect(try await RegistryAPINetworkTests.publish(client, "/acme/Greeter/" + version, archive: archive).status == 201)
            }
            let v1 = RegistryAPINetworkTests.accept
            let v2 = ["Accept": "application/vnd.swift.registry.v2+json"]
            let requests: [(method: String, path: String, headers: [String: String])] = [
                ("GET", "/acme/Greeter", v1), ("GET", "/ACME/greeter", [:]), ("GET", "/acme/Greeter.json", v1),
                ("GET", "/acme/Greeter?page=1", v1), ("GET", "/acme/Greeter?page=2", v1), ("GET", "/acme/Greeter?page=x", v1),
                ("GET", "/acme/Greeter/1.0.0", v1), ("GET", "/acme/greeter/1.1.0.json", v1), ("HEAD", "/acme/Greeter/1.0.0", v1),
                ("GET", "/acme/Greeter/9.9.9", v1), ("GET", "/acme/Greeter/1.0.0.zip", ["Accept": "application/vnd.swift.registry.v1+zip"]),
                ("GET", "/acme/Greeter/1.0.0/Package.swift", [:]), ("GET", "/acme/Greeter/1.0.0/Package.swift?swift-version=5.9", [:]),
                ("GET", "/acme/Greeter/1.0.0/Package.swift?swift-version=6.0", [:]), ("GET", "/acme/Greeter/1.0.0/package.swift", [:]),
                ("GET", "/acme/Greeter/", v1), ("GET", "//acme/Greeter", v1), ("GET", "/acme/Greeter/1.0.0/", v1),
                ("GET", "/-/api/v1/packages/acme/Greeter", [:]), ("GET", "/acme/Gree%74er", v1), ("GET", "/ac_me/Greeter", v1),
                ("POST", "/acme/Greeter/1.0.0", v1),
            ]
            func answer(_ response: RawHTTP.Response) -> String {
                "\(response.status) \(response.headers.filter { $0.key != "date" }.sorted { $0.key < $1.key }) \(response.body)"
            }
            for (index, request) in requests.enumerated() {
                _ = try node.registry.store.putBlob(Array("commit \(index)".utf8))
                let first = try await client.request(request.method, request.path, headers: request.headers)
                for _ in 0..<2 {
                    let again = try await client.request(request.method, request.path, headers: request.headers)
                    #expect(answer(again) == answer(first), "\(request.method) \(request.path)")
                }
            }
            // A client asking for another API version is refused even when the answer is kept.
            for path in ["/acme/Greeter", "/acme/Greeter/1.0.0", "/acme/Greeter/1.0.0/Package.swift", "/acme/Greeter/1.0.0.zip"] {
                #expect(try await client.request("GET", path, headers: v2).status == 415, "\(path)")
            }
        }
    }
}
