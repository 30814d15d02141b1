import AgoraTestSupport
import Foundation
import Testing

/// `agora serve --http` as a real process: it prints the URL once listening, serves the
/// registry API from the home's store, and stops cleanly on SIGTERM.
@Suite struct ServeHTTPNetworkTests {
    static let agora: URL = {
        if let path = ProcessInfo.processInfo.environment["AGORA_BINARY"] { return URL(fileURLWithPath: path) }
        let beside = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
            .appendingPathComponent("agora")
        if FileManager.default.isExecutableFile(atPath: beside.path) { return beside }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(".build/debug/agora")
    }()

    @Test func serveWithHTTPPublishesAndStopsOnSIGTERM() async throws {
        let folder = try TemporaryDirectory()
        let environment = ["AGORA_HOME": folder.url.appendingPathComponent("home").path]
        let initialised = try await Subprocess.run(Self.agora.path, ["init"], environment: environment)
        #expect(initialised.status == 0, "\(initialised)")

        let serve = try ServeProcess(
            home: folder.url.appendingPathComponent("home"),
            arguments: ["--listen", "/ip4/127.0.0.1/tcp/0", "--http", "127.0.0.1:0", "--http-allow-loopback-writes"])
        let port = try await serve.port(after: "http://")
        let client = RawHTTP(port: port)

        let archive = try Fixtures.zip(Fixtures.library(greeting: "served"))
        let created = try await RegistryAPINetworkTests.publish(client, "/acme/Greeter/1.0.0", archive: archive)
        #expect(created.status == 201, "\(created)")
        #expect(try await client.request("GET", "/acme/Greeter/1.0.0.zip").body == archive)
        let status = try await client.request("GET", "/-/api/v1/status")
        #expect(status.json?["events"] as? Int == 1)

        #expect(serve.stop())
        // The release is in the home's store: the CLI sees it after the node stopped.
        let info = try await Subprocess.run(Self.agora.path, ["info", "acme/Greeter", "--json"], environment: environment)
        #expect(info.output.contains(Fixtures.sha256(archive)), "\(info)")
    }
}
