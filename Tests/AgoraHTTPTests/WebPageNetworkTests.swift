import AgoraCore
import AgoraHTTP
import AgoraTestSupport
import Foundation
import Testing

/// The web page in a real browser: headless Chromium loads it from a running node, runs its
/// script against the JSON API, and the test reads the resulting DOM and keeps a screenshot.
@Suite struct WebPageNetworkTests {
    static let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }

    static func browse(_ url: String, screenshot: String? = nil) async throws -> Subprocess.Result {
        let profile = try TemporaryDirectory()
        var arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                         "--user-data-dir=\(profile.url.path)", "--virtual-time-budget=10000", "--window-size=1200,900"]
        arguments += screenshot.map { ["--screenshot=\($0)"] } ?? ["--dump-dom"]
        return try await Subprocess.run(try #require(chromium), arguments + [url], timeout: .seconds(120))
    }

    @Test(.enabled(if: chromium != nil, "Debian's chromium is installed by tools/install-deps.sh"))
    func searchAndPackagePagesRenderInChromium() async throws {
        let first = try Fixtures.zip(Fixtures.library(greeting: "one"))
        let second = try Fixtures.zip(Fixtures.library(greeting: "two"))
        try await TestNode.with { node in
            let metadata = #"{"description":"Friendly <b>greetings</b>","author":{"name":"Mona Lisa"}}"#
            #expect(try await RegistryAPINetworkTests.publish(node.client, "/acme/Greeter/1.0.0", archive: first, metadata: metadata).status == 201)
            #expect(try await RegistryAPINetworkTests.publish(node.client, "/acme/Greeter/1.1.0", archive: second, metadata: metadata).status == 201)
            let base = "http://127.0.0.1:\(node.port)/"

            let search = try await Self.browse(base + "?q=greter")
            #expect(search.output.contains("id=\"result-table\""), "\(search)")
            #expect(search.output.contains("data-package=\"acme/Greeter\""))
            // Metadata is shown as text, never parsed as markup.
            #expect(search.output.contains("Friendly &lt;b&gt;greetings&lt;/b&gt;"))
            #expect(search.output.contains("events in the log"))

            let package = try await Self.browse(base + "?package=acme/Greeter")
            #expect(package.output.contains("id=\"versions\""), "\(package)")
            for digest in [Fixtures.sha256(first), Fixtures.sha256(second)] { #expect(package.output.contains(digest)) }
            #expect(package.output.contains("Mona Lisa"))
            #expect(package.output.contains("release-published: acme/Greeter 1.1.0"), "\(package.output.suffix(2000))")

            let screenshot = FileManager.default.temporaryDirectory.appendingPathComponent("agora-web-page.png").path
            let shot = try await Self.browse(base + "?q=greeter", screenshot: screenshot)
            #expect(shot.status == 0, "\(shot)")
            let png = try Data(contentsOf: URL(fileURLWithPath: screenshot))
            #expect(png.starts(with: [0x89, 0x50, 0x4e, 0x47]) && png.count > 10_000)
        }
    }
}
