import AgoraCore
import Benchmark

/// The primitives every higher number is built from: what one event costs to sign, check and name.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        maxDuration: .seconds(3)
    )

    let identity = try! Identity(seed: [UInt8](repeating: 9, count: 32))
    let manifest = Manifest(scope: "acme", name: "json-kit", version: "1.2.3", description: "Fast JSON", keywords: ["json"])
    let body = EventBody.releasePublished(ReleasePublished(
        scope: "acme", name: "json-kit", version: "1.2.3", manifest: manifest.canonicalJSON(),
        archiveDigest: [UInt8](repeating: 1, count: 32), archiveSize: 4096))
    let event = try! Event.sign(by: identity, seq: 1, prev: nil, timestamp: 1, body: body)

    Benchmark("Event.sign") { benchmark in
        for seq in benchmark.scaledIterations {
            blackHole(try! Event.sign(by: identity, seq: UInt64(seq) + 2, prev: event.id, timestamp: 1, body: body))
        }
    }

    Benchmark("Event.verifySignature") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(event.verifySignature())
        }
    }

    Benchmark("Event.decode+id") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try! Event(decoding: event.bytes))
        }
    }

    let megabyte = [UInt8](repeating: 0x5a, count: 1 << 20)
    Benchmark("SHA-256 1 MiB", configuration: .init(metrics: [.wallClock, .throughput])) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(EventID(hashing: megabyte))
        }
    }
}
