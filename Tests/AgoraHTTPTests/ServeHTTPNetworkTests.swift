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

        let output = folder.url.appendingPathComponent("serve.out")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        let handle = try FileHandle(forWritingTo: output)
        defer { try? handle.close() }
        let process = Process()
        process.executableURL = Self.agora
        process.arguments = ["serve", "--listen", "/ip4/127.0.0.1/tcp/0", "--http", "127.0.0.1:0", "--http-allow-loopback-writes"]
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        defer { if process.isRunning { process.terminate() } }

        var url: String?
        let deadline = Date().addingTimeInterval(60)
        while url == nil, Date() < deadline, process.isRunning {
            let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
            url = text.split(separator: "\n").first { $0.hasPrefix("http://127.0.0.1:") }.map(String.init)
            if url == nil { try await Task.sleep(for: .milliseconds(100)) }
        }
        let address = try #require(url, "serve printed no http URL: \((try? String(contentsOf: output, encoding: .utf8)) ?? "")")
        let port = try #require(Int(address.split(separator: ":").last ?? ""))
        let client = RawHTTP(port: port)

        let archive = try Fixtures.zip(Fixtures.library(greeting: "served"))
        let created = try await RegistryAPINetworkTests.publish(client, "/acme/Greeter/1.0.0", archive: archive)
        #expect(created.status == 201, "\(created)")
        #expect(try await client.request("GET", "/acme/Greeter/1.0.0.zip").body == archive)
        let status = try await client.request("GET", "/-/api/v1/status")
        #expect(status.json?["events"] as? Int == 1)

        process.terminate()
        process.waitUntilExit()
        #expect(process.terminationReason == .exit && process.terminationStatus == 0)
        // The release is in the home's store: the CLI sees it after the node stopped.
        let info = try await Subprocess.run(Self.agora.path, ["info", "acme/Greeter", "--json"], environment: environment)
        #expect(info.output.contains(Fixtures.sha256(archive)), "\(info)")
    }
}
