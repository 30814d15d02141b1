import AgoraCore
import AgoraHTTP
import AgoraRegistry
import AgoraStore
import Foundation
import Testing

/// The Swift Package Registry API over real loopback sockets, against a real store.
@Suite struct RegistryAPINetworkTests {
    static let accept = ["Accept": "application/vnd.swift.registry.v1+json"]

    static func publish(_ client: RawHTTP, _ path: String, archive: [UInt8], metadata: String? = nil, headers: [String: String] = [:]) async throws -> RawHTTP.Response {
        var parts: [(name: String, contentType: String, body: [UInt8])] = [("source-archive", "application/zip", archive)]
        if let metadata { parts.append(("metadata", "application/json", Array(metadata.utf8))) }
        return try await client.request(
            "PUT", path, headers: accept.merging(["Content-Type": MultipartBody.contentType], uniquingKeysWith: { $1 }).merging(headers, uniquingKeysWith: { $1 }),
            body: MultipartBody.make(parts))
    }

    @Test func publishThenReadEveryEndpoint() async throws {
        let archive = try Fixtures.zip(Fixtures.library(greeting: "hello"))
        try await TestNode.with { node in
            let client = node.client
            let metadata = #"{"description":"Says hello","licenseURL":"https://opensource.org/license/mit","author":{"name":"Mona"}}"#
            let created = try await Self.publish(client, "/acme/Greeter/1.0.0", archive: archive, metadata: metadata)
            #expect(created.status == 201, "\(created)")
            #expect(created.headers["location"]?.hasSuffix("/acme/Greeter/1.0.0") == true)
            #expect(created.headers["content-version"] == "1")

            // Case-insensitive scope and name, `.json` suffix allowed.
            for path in ["/acme/Greeter", "/ACME/greeter", "/acme/greeter.json"] {
                let list = try await client.request("GET", path, headers: Self.accept)
                #expect(list.status == 200, "\(path): \(list)")
                #expect(list.headers["content-type"] == "application/json")
                #expect(list.headers["content-version"] == "1")
                let releases = list.json?["releases"] as? [String: Any]
                #expect(releases?.keys.sorted() == ["1.0.0"])
                #expect(list.headers["link"]?.contains("/acme/Greeter/1.0.0>; rel=\"latest-version\"") == true)
            }

            let release = try await client.request("GET", "/acme/greeter/1.0.0", headers: Self.accept)
            #expect(release.status == 200, "\(release)")
            let json = try #require(release.json)
            #expect(json["id"] as? String == "acme.Greeter")
            #expect(json["version"] as? String == "1.0.0")
            let resources = json["resources"] as? [[String: Any]]
            #expect(resources?.first?["name"] as? String == "source-archive")
            #expect(resources?.first?["checksum"] as? String == Fixtures.sha256(archive))
            let meta = json["metadata"] as? [String: Any]
            #expect(meta?["description"] as? String == "Says hello")
            #expect((meta?["author"] as? [String: Any])?["name"] as? String == "Mona")
            #expect(meta?["agoraPublisher"] as? String == node.registry.identity.publicKey.hex)
            let publishedAt = try #require(json["publishedAt"] as? String)
            let parser = ISO8601DateFormatter()
            parser.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            let published = try #require(parser.date(from: publishedAt), "\(publishedAt)")
            #expect(abs(published.timeIntervalSinceNow) < 3600)

            // A download counts as a use of the archive, so the node's cache keeps what clients fetch.
            let digest = try #require(BlobDigest(hex: Fixtures.sha256(archive)))
            let store = node.registry.store
            func lastUse() throws -> UInt64 {
                try store.flushBlobUses()
                return try store.read { txn in try txn.get(store.databases.blobUses, key: digest.bytes).flatMap { BigEndian.uint64($0) } } ?? 0
            }
            let usedBefore = try lastUse()

            // The archive comes back byte for byte: SwiftPM's checksum holds on every node.
            let zip = try await client.request("GET", "/acme/Greeter/1.0.0.zip", headers: ["Accept": "application/vnd.swift.registry.v1+zip"])
            #expect(zip.status == 200)
            #expect(try lastUse() > usedBefore)
            #expect(zip.body == archive)
            #expect(zip.headers["content-type"] == "application/zip")
            #expect(zip.headers["content-length"] == "\(archive.count)")
            #expect(zip.headers["digest"] == "sha-256=" + Data(Hex.decode(Fixtures.sha256(archive))!).base64EncodedString())
            #expect(zip.headers["content-disposition"] == "attachment; filename=\"Greeter-1.0.0.zip\"")

            let head = try await client.request("HEAD", "/acme/Greeter/1.0.0.zip")
            #expect(head.status == 200)
            #expect(head.headers["content-length"] == "\(archive.count)")

            let manifest = try await client.request("GET", "/acme/Greeter/1.0.0/Package.swift", headers: ["Accept": "application/vnd.swift.registry.v1+swift"])
            #expect(manifest.status == 200)
            #expect(manifest.text == Fixtures.manifest)
            #expect(manifest.headers["content-type"] == "text/x-swift")
            #expect(manifest.headers["link"]?.contains("Package.swift?swift-version=5.9>; rel=\"alternate\"; filename=\"Package@swift-5.9.swift\"; swift-tools-version=\"5.9.0\"") == true)
            let variant = try await client.request("GET", "/acme/Greeter/1.0.0/Package.swift?swift-version=5.9")
            #expect(variant.status == 200)
            #expect(variant.text.hasPrefix("// swift-tools-version:5.9.0"))
            let missing = try await client.request("GET", "/acme/Greeter/1.0.0/Package.swift?swift-version=4.2")
            #expect(missing.status == 303)
            #expect(missing.headers["location"]?.hasSuffix("/acme/Greeter/1.0.0/Package.swift") == true)

            // The same bytes again is idempotent; the release is one signed event by the node's key.
            #expect(try await Self.publish(client, "/acme/Greeter/1.0.0", archive: archive).status == 201)
            let info = try node.registry.info(PackageIdentity(scope: "acme", name: "Greeter"))
            #expect(info.releases.map(\.digest) == [Fixtures.sha256(archive)])
            #expect(info.releases.first?.author == node.registry.identity.publicKey.hex)
            #expect(try node.registry.audit(deep: true).ok)
        }
    }

    /// `agora info` shows the registry dependencies the published Package.swift declares.
    @Test func publishedManifestDependenciesAreRecorded() async throws {
        var files = Fixtures.library(greeting: "deps")
        files["Package.swift"] = Fixtures.manifest.replacingOccurrences(
            of: "name: \"Greeter\",", with: "name: \"Greeter\",\n    dependencies: [.package(id: \"acme.json-kit\", from: \"1.2.0\")],")
        let archive = try Fixtures.zip(files)
        try await TestNode.with { node in
            #expect(try await Self.publish(node.client, "/acme/Greeter/1.0.0", archive: archive).status == 201)
            let info = try node.registry.info(PackageIdentity(scope: "acme", name: "Greeter"))
            #expect(info.releases.first?.manifest?.dependencies == ["acme/json-kit": "^1.2.0"])
        }
    }

    @Test func yankedReleasesCarryA410Problem() async throws {
        let first = try Fixtures.zip(Fixtures.library(greeting: "one"))
        let second = try Fixtures.zip(Fixtures.library(greeting: "two"))
        try await TestNode.with { node in
            #expect(try await Self.publish(node.client, "/acme/Greeter/1.0.0", archive: first).status == 201)
            #expect(try await Self.publish(node.client, "/acme/Greeter/1.1.0", archive: second).status == 201)
            _ = try node.registry.yank(PackageIdentity(scope: "acme", name: "Greeter"), version: "1.1.0", reason: "broken build")
            let list = try await node.client.request("GET", "/acme/Greeter", headers: Self.accept)
            let releases = try #require(list.json?["releases"] as? [String: [String: Any]])
            let problem = releases["1.1.0"]?["problem"] as? [String: Any]
            #expect(problem?["status"] as? Int == 410)
            #expect((problem?["detail"] as? String)?.contains("broken build") == true)
            #expect(releases["1.0.0"]?["problem"] == nil)
            #expect(list.headers["link"]?.contains("/acme/Greeter/1.0.0>; rel=\"latest-version\"") == true)
            // A lockfile that pins the yanked version still installs it.
            #expect(try await node.client.request("GET", "/acme/Greeter/1.1.0.zip").body == second)
        }
    }

    @Test func releaseListPaginates() async throws {
        var configuration = HTTPConfiguration(allowTokenlessLoopbackWrites: true)
        configuration.releasesPerPage = 2
        let archives = try (0..<5).map { try Fixtures.zip(Fixtures.library(greeting: "v\($0)")) }
        try await TestNode.with(configuration: configuration) { node in
            for (index, archive) in archives.enumerated() {
                #expect(try await Self.publish(node.client, "/acme/Greeter/1.\(index).0", archive: archive).status == 201)
            }
            var seen: [String] = []
            var path: String? = "/acme/Greeter"
            while let next = path {
                let page = try await node.client.request("GET", next, headers: Self.accept)
                #expect(page.status == 200)
                seen += ((page.json?["releases"] as? [String: Any])?.keys.sorted(by: >)) ?? []
                path = page.headers["link"]?.components(separatedBy: ", ").first { $0.hasSuffix("rel=\"next\"") }
                    .flatMap { $0.split(separator: ">").first }.map { String($0.dropFirst()) }
                    .map { URL(string: $0)!.path + "?" + (URL(string: $0)!.query ?? "") }
            }
            #expect(seen == ["1.4.0", "1.3.0", "1.2.0", "1.1.0", "1.0.0"])
            #expect(try await node.client.request("GET", "/acme/Greeter?page=9").status == 400)
        }
    }

    /// Bad input of every class gets the status the spec names and a problem body that says why.
    @Test func badInputIsRefusedWithAProblem() async throws {
        let good = try Fixtures.zip(Fixtures.library(greeting: "hello"))
        let other = try Fixtures.zip(Fixtures.library(greeting: "changed"))
        let twoRoots = try ZipWriter.write([
            ZipEntry(path: "A/Package.swift", data: Array(Fixtures.manifest.utf8)), ZipEntry(path: "B/x.swift", data: [1]),
        ])
        let noManifest = try Fixtures.zip(["Sources/Greeter/Greeter.swift": "let x = 1\n"])
        var configuration = HTTPConfiguration(token: "s3cret", allowTokenlessLoopbackWrites: false)
        configuration.maxPublishBody = 64 * 1024
        let oversized = [UInt8](repeating: 7, count: 100 * 1024)
        let bearer = ["Authorization": "Bearer s3cret"]
        try await TestNode.with(configuration: configuration) { node in
            let client = node.client
            #expect(try await Self.publish(client, "/acme/Greeter/1.0.0", archive: good, headers: bearer).status == 201)
            let cases: [(String, () async throws -> RawHTTP.Response, Int, String)] = [
                ("unknown package", { try await client.request("GET", "/acme/nothing", headers: Self.accept) }, 404, "no package acme/nothing"),
                ("unknown version", { try await client.request("GET", "/acme/Greeter/9.9.9", headers: Self.accept) }, 404, "no release 9.9.9"),
                ("unknown scope", { try await client.request("GET", "/nobody/Greeter/1.0.0.zip") }, 404, "no package nobody/Greeter"),
                ("invalid scope", { try await client.request("GET", "/-bad-/Greeter") }, 400, "scope"),
                ("API version 2", { try await client.request("GET", "/acme/Greeter", headers: ["Accept": "application/vnd.swift.registry.v2+json"]) }, 415, "version 2"),
                ("malformed API version", { try await client.request("GET", "/acme/Greeter", headers: ["Accept": "application/vnd.swift.registry.vx+json"]) }, 400, "invalid API version"),
                ("no url", { try await client.request("GET", "/identifiers") }, 400, "url"),
                ("no token", { try await Self.publish(client, "/acme/Greeter/2.0.0", archive: good) }, 401, "bearer token is required"),
                ("wrong token", { try await Self.publish(client, "/acme/Greeter/2.0.0", archive: good, headers: ["Authorization": "Bearer nope"]) }, 401, "not valid"),
                ("login wrong token", { try await client.request("POST", "/login", headers: ["Authorization": "Bearer nope"]) }, 401, "not valid"),
                ("republish other bytes", { try await Self.publish(client, "/acme/Greeter/1.0.0", archive: other, headers: bearer) }, 409, "already published"),
                ("escaping path", { try await Self.publish(client, "/acme/Greeter/2.0.0", archive: try Fixtures.escaping(), headers: bearer) }, 422, "unsafe path"),
                ("two top directories", { try await Self.publish(client, "/acme/Greeter/2.0.0", archive: twoRoots, headers: bearer) }, 422, "one top-level directory"),
                ("no Package.swift", { try await Self.publish(client, "/acme/Greeter/2.0.0", archive: noManifest, headers: bearer) }, 422, "no Package.swift"),
                ("not a zip", { try await Self.publish(client, "/acme/Greeter/2.0.0", archive: Array("hello".utf8), headers: bearer) }, 422, "not usable"),
                ("bad metadata", { try await Self.publish(client, "/acme/Greeter/2.0.0", archive: good, metadata: "{\"author\": 5}", headers: bearer) }, 422, "metadata"),
                ("bad version", { try await Self.publish(client, "/acme/Greeter/one", archive: good, headers: bearer) }, 400, "not a semantic version"),
                ("oversized body", { try await Self.publish(client, "/acme/Greeter/2.0.0", archive: oversized, headers: bearer) }, 413, "limit"),
                ("malformed multipart", {
                    try await client.request("PUT", "/acme/Greeter/2.0.0", headers: bearer.merging(["Content-Type": MultipartBody.contentType]) { $1 }, body: Array("--nope\r\n".utf8))
                }, 400, "malformed multipart"),
                ("not multipart", {
                    try await client.request("PUT", "/acme/Greeter/2.0.0", headers: bearer.merging(["Content-Type": "application/zip"]) { $1 }, body: good)
                }, 415, "multipart/form-data"),
                ("no source-archive part", {
                    try await client.request("PUT", "/acme/Greeter/2.0.0", headers: bearer.merging(["Content-Type": MultipartBody.contentType]) { $1 },
                                       body: MultipartBody.make([("metadata", "application/json", Array("{}".utf8))]))
                }, 422, "no source-archive"),
                ("no route", { try await client.request("DELETE", "/acme/Greeter/1.0.0") }, 404, "Not Found"),
            ]
            for (label, send, status, detail) in cases {
                let response = try await send()
                #expect(response.status == status, "\(label): \(response)")
                #expect(response.headers["content-type"] == "application/problem+json", "\(label)")
                #expect(response.headers["content-version"] == "1", "\(label)")
                #expect((response.json?["detail"] as? String)?.contains(detail) == true, "\(label): \(response.text)")
            }
            #expect(try await client.request("POST", "/login", headers: bearer).status == 200)
            // Nothing above changed the published release.
            #expect(try await client.request("GET", "/acme/Greeter/1.0.0.zip").body == good)
            let info = try node.registry.info(PackageIdentity(scope: "acme", name: "Greeter"))
            #expect(info.releases.map(\.version) == ["1.0.0"])
        }
    }

    /// A publish beyond the concurrency limit gets 429 with Retry-After while another upload
    /// holds the slot (its body still arriving).
    @Test func publishesBeyondTheLimitGet429() async throws {
        var configuration = HTTPConfiguration(allowTokenlessLoopbackWrites: true)
        configuration.maxConcurrentPublishes = 1
        let good = try Fixtures.zip(Fixtures.library(greeting: "hello"))
        try await TestNode.with(configuration: configuration) { node in
            let head = "PUT /acme/Greeter/1.0.0 HTTP/1.1\r\nHost: x\r\nContent-Type: \(MultipartBody.contentType)\r\nContent-Length: 100000\r\n\r\n--"
            var holder = try node.client.openPartial(Array(head.utf8))
            defer { close(holder) }
            var response = RawHTTP.Response(status: 0, headers: [:], body: [])
            let deadline = Date().addingTimeInterval(60)
            var attempt = 0
            while response.status != 429, Date() < deadline {
                try await Task.sleep(for: .milliseconds(100))
                // If the held upload was itself turned away (a probe held the slot when its
                // head arrived), it has an answer waiting: start another one.
                var ready = pollfd(fd: holder, events: Int16(POLLIN), revents: 0)
                if poll(&ready, 1, 0) > 0 {
                    close(holder)
                    holder = try node.client.openPartial(Array(head.utf8))
                    continue
                }
                attempt += 1
                response = try await Self.publish(node.client, "/acme/Greeter/1.0.\(attempt)", archive: good)
            }
            #expect(response.status == 429, "\(response)")
            #expect(response.headers["retry-after"] == "5")
        }
    }
}
