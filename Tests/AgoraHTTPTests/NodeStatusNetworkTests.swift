import AgoraTestSupport
import Foundation
import Testing

/// Two real `agora serve` processes: A with the HTTP front door and Prometheus metrics, B
/// bootstrapped from A. A publish on B's home replicates to A; A's JSON API, web page and
/// metrics show the peer, its health and the traffic.
@Suite struct NodeStatusNetworkTests {
    /// `name{labels} value` lines of a Prometheus text page, keyed by `name{labels}`.
    static func samples(_ text: String) -> [String: Double] {
        var samples: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
            samples[String(line[..<space])] = value
        }
        return samples
    }

    @Test func peersHealthAndMetricsOfARunningNode() async throws {
        let folder = try TemporaryDirectory()
        let homeA = folder.url.appendingPathComponent("a")
        let homeB = folder.url.appendingPathComponent("b")
        for home in [homeA, homeB] {
            let initialised = try await Subprocess.run(ServeHTTPNetworkTests.agora.path, ["init"], environment: ["AGORA_HOME": home.path])
            #expect(initialised.status == 0, "\(initialised)")
        }
        let a = try ServeProcess(
            home: homeA, arguments: ["--listen", "/ip4/127.0.0.1/tcp/0", "--http", "127.0.0.1:0", "--metrics", "127.0.0.1:0"])
        let addressA = try await a.line(startingWith: "/ip4/")
        let http = RawHTTP(port: try await a.port(after: "http://"))
        let metrics = RawHTTP(port: try await a.port(after: "metrics http://"))
        let b = try ServeProcess(home: homeB, arguments: ["--listen", "/ip4/127.0.0.2/tcp/0", "--bootstrap", addressA])
        let peerB = try #require(try await b.line(startingWith: "/ip4/").split(separator: "/").last.map(String.init))

        let library = try TemporaryDirectory()
        for (path, text) in Fixtures.library(greeting: "replicated") { try library.write("Greeter/" + path, text) }
        let published = try await ResponseCacheNetworkTests.agora(
            ["publish", library.url.appendingPathComponent("Greeter").path, "--scope", "acme", "--version", "1.0.0"], home: homeB)
        #expect(published.status == 0, "\(published)")

        try await eventually("A to sync B's release") {
            let status = try await http.request("GET", "/-/api/v1/status")
            let node = status.json?["node"] as? [String: Any]
            return status.json?["events"] as? Int == 1 && node?["peersConnected"] as? Int == 1 && node?["health"] as? String == "ok"
        }
        let peers = try await http.request("GET", "/-/api/v1/peers")
        #expect(peers.json?["node"] as? Bool == true, "\(peers)")
        let listed = (peers.json?["peers"] as? [[String: Any]])?.compactMap { $0["peer_id"] as? String }
        #expect(listed == [peerB], "\(peers)")
        #expect(try await http.request("GET", "/acme/Greeter", headers: RegistryAPINetworkTests.accept).status == 200)
        #expect(try await http.request("GET", "/acme/Greeter/9.9.9", headers: RegistryAPINetworkTests.accept).status == 404)

        // The page shows the peer and the node's health.
        if WebPageNetworkTests.chromium != nil {
            let page = try await WebPageNetworkTests.browse("http://127.0.0.1:\(http.port)/")
            #expect(page.output.contains("id=\"peers\""), "\(page.output.suffix(2000))")
            #expect(page.output.contains(peerB))
            #expect(page.output.contains("node ok, 1 peer, sync lag 0"), "\(page.output.suffix(2000))")
        }

        let scrape = try await metrics.request("GET", "/metrics")
        #expect(scrape.status == 200)
        #expect(scrape.headers["content-type"]?.hasPrefix("text/plain; version=0.0.4") == true)
        let samples = Self.samples(scrape.text)
        #expect(samples["agora_events_in_total{outcome=\"appended\"}"] ?? 0 >= 1, "\(scrape.text)")
        #expect(samples["agora_peers_connected"] == 1, "\(scrape.text)")
        #expect(samples["agora_sync_lag_events{peer=\"max\"}"] == 0, "\(scrape.text)")
        #expect(samples["agora_http_requests_total{method=\"GET\",status=\"200\"}"] ?? 0 >= 3, "\(scrape.text)")
        #expect(samples["agora_http_requests_total{method=\"GET\",status=\"404\"}"] ?? 0 >= 1, "\(scrape.text)")
        #expect(samples["agora_bytes_served_total{protocol=\"http\"}"] ?? 0 > 0, "\(scrape.text)")
        #expect(samples["agora_bytes_served_total{protocol=\"/agora/sync/1.0.0\"}"] ?? 0 > 0, "\(scrape.text)")
        // Reads answered from the response cache before routing count like routed ones.
        let okLabel = "agora_http_requests_total{method=\"GET\",status=\"200\"}"
        let bytesLabel = "agora_bytes_served_total{protocol=\"http\"}"
        var listBytes = 0
        for _ in 0..<3 {
            listBytes += try await http.request("GET", "/acme/Greeter", headers: RegistryAPINetworkTests.accept).body.count
        }
        let after = Self.samples(try await metrics.request("GET", "/metrics").text)
        #expect(after[okLabel].map { $0 - (samples[okLabel] ?? 0) } == 3, "\(after)")
        #expect(after[bytesLabel].map { $0 - (samples[bytesLabel] ?? 0) } == Double(listBytes), "\(after)")
        // The endpoint listens where it was asked to, and nothing else is served there.
        #expect(try await metrics.request("GET", "/").status == 404)

        #expect(b.stop())
        #expect(a.stop())
    }
}
