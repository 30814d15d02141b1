import Foundation
import Testing

/// `agora status` reports the archive cache, and its budget comes from the home's config.
@Suite struct CacheStatusTests {
    static func cache(_ agora: AgoraRunner) throws -> [String: Any] {
        try #require((agora.json("status") as? [String: Any])?["cache"] as? [String: Any])
    }

    @Test func statusShowsUsePinsAndTheConfiguredBudget() throws {
        let scratch = try Scratch()
        let agora = scratch.agora
        try agora.ok("init")
        try agora.ok("publish", try scratch.package("one", name: "cached", version: "1.0.0").path)
        var cache = try Self.cache(agora)
        #expect(cache["archives"] as? Int == 1)
        #expect(cache["pinned_archives"] as? Int == 1, "an own release is pinned")
        #expect((cache["bytes"] as? Int ?? 0) > 0 && cache["bytes"] as? Int == cache["pinned_bytes"] as? Int)
        #expect(cache["budget"] as? Int == 1 << 30)
        #expect(try agora.ok("status").out.contains("pinned 1"))

        let config = agora.home.appendingPathComponent("config.json")
        for (text, budget) in [("{\"archive_cache_bytes\": \"64MiB\"}", 64 << 20), ("{\"archive_cache_bytes\": 5000}", 5000)] {
            try Data(text.utf8).write(to: config)
            cache = try Self.cache(agora)
            #expect(cache["budget"] as? Int == budget)
        }
        for bad in ["{\"archive_cache_bytes\": \"lots\"}", "{\"archive_cache_bytes\": \"2000PiB\"}", "[1]", "not json"] {
            try Data(bad.utf8).write(to: config)
            let result = try agora.run("status")
            #expect(result.status != 0, "\(bad) was accepted")
            #expect(result.err.contains("config.json"))
        }
        try FileManager.default.removeItem(at: config)
        let refused = try agora.run("serve", "--cache-budget", "9ZiB", "--listen", "/ip4/127.0.0.1/tcp/0")
        #expect(refused.status != 0 && refused.err.contains("--cache-budget"))
    }
}
