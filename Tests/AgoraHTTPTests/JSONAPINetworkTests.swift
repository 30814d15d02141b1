import AgoraCore
import AgoraHTTP
import AgoraRegistry
import Foundation
import Testing

@Suite struct JSONAPINetworkTests {
    @Test func searchInfoLogAndStatus() async throws {
        let archive = try Fixtures.zip(Fixtures.library(greeting: "hi"))
        try await TestNode.with { node in
            let client = node.client
            let metadata = #"{"description":"Friendly greetings","author":{"name":"Mona"}}"#
            #expect(try await RegistryAPINetworkTests.publish(client, "/acme/Greeter/1.0.0", archive: archive, metadata: metadata).status == 201)

            for query in ["greeter", "greter", "friendly"] {
                let search = try await client.request("GET", "/-/api/v1/search?q=\(query)")
                #expect(search.status == 200, "\(search)")
                let results = search.json?["results"] as? [[String: Any]]
                #expect(results?.first?["package"] as? String == "acme/Greeter", "\(query): \(search)")
            }
            let info = try await client.request("GET", "/-/api/v1/packages/acme/greeter")
            let releases = info.json?["releases"] as? [[String: Any]]
            #expect(releases?.first?["digest"] as? String == Fixtures.sha256(archive))
            #expect(((releases?.first?["manifest"] as? [String: Any])?["authors"] as? [String]) == ["Mona"])

            let log = try await client.request("GET", "/-/api/v1/log?since=0&limit=10")
            let entries = log.json?["entries"] as? [[String: Any]]
            #expect(entries?.count == 1)
            #expect((entries?.first?["summary"] as? String)?.hasPrefix("acme/Greeter 1.0.0") == true)
            let after = try await client.request("GET", "/-/api/v1/log?since=1")
            #expect((after.json?["entries"] as? [Any])?.isEmpty == true)

            let status = try await client.request("GET", "/-/api/v1/status")
            #expect(status.json?["publisher"] as? String == node.registry.identity.publicKey.hex)
            #expect(status.json?["events"] as? Int == 1)
            #expect(status.json?["viewsLag"] as? Int == 0, "a publish folds its views in its own commit")

            for (path, detail) in [("/-/api/v1/search", "q must"), ("/-/api/v1/search?q=x&limit=0", "limit"),
                                   ("/-/api/v1/log?since=-1", "since"), ("/-/api/v1/packages/acme/nothing", "no package")] {
                let response = try await client.request("GET", path)
                #expect([400, 404].contains(response.status), "\(path): \(response)")
                #expect((response.json?["detail"] as? String)?.contains(detail) == true, "\(path): \(response)")
            }
        }
    }

    /// Every path the OpenAPI document describes is answered by a route (the router's own
    /// "no route" 404 says only "Not Found").
    @Test func everyDocumentedPathHasARoute() async throws {
        let archive = try Fixtures.zip(Fixtures.library(greeting: "hi"))
        try await TestNode.with { node in
            let client = node.client
            #expect(try await RegistryAPINetworkTests.publish(client, "/acme/Greeter/1.0.0", archive: archive).status == 201)
            let document = try await client.request("GET", "/-/openapi.json")
            #expect(document.status == 200)
            #expect(document.json?["openapi"] as? String == "3.1.0")
            let paths = try #require(document.json?["paths"] as? [String: [String: Any]])
            #expect(paths.count >= 10)
            for (template, operations) in paths {
                let path = template.replacingOccurrences(of: "{scope}", with: "acme").replacingOccurrences(of: "{name}", with: "Greeter")
                    .replacingOccurrences(of: "{version}", with: "1.0.0")
                for method in operations.keys {
                    let response = try await client.request(method.uppercased(), path)
                    let routerMiss = response.status == 404 && response.json?["detail"] as? String == "Not Found"
                    #expect(!routerMiss, "\(method) \(template) has no route")
                }
            }
        }
    }
}
