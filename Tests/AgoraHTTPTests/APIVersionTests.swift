import AgoraCore
import Hummingbird
import Testing

@testable import AgoraHTTP

/// `Accept` header classes: served (no registry type, version 1, no version), 415 (another
/// version), 400 (malformed registry type); then seeded random headers, which must get one
/// of those answers and never anything else.
@Suite struct APIVersionTests {
    static func outcome(_ accept: String) -> Int {
        do {
            try APIVersion.check(accept: accept)
            return 200
        } catch let problem as Problem {
            return problem.status.code
        } catch {
            return -1
        }
    }

    @Test(arguments: [
        ("application/vnd.swift.registry.v1+json", 200),
        ("application/vnd.swift.registry.v1+zip", 200),
        ("application/vnd.swift.registry.v1+swift", 200),
        ("application/vnd.swift.registry.v1", 200),
        ("application/vnd.swift.registry+json", 200),
        ("application/vnd.swift.registry", 200),
        ("APPLICATION/VND.SWIFT.REGISTRY.V1+JSON", 200),
        ("  application/vnd.swift.registry.v1+json ;q=0.9", 200),
        ("\tapplication/vnd.swift.registry.v1+json\t", 200),
        ("text/html, application/vnd.swift.registry.v1+json;q=1, */*", 200),
        ("application/json", 200),
        ("*/*", 200),
        ("", 200),
        (",,,;;;", 200),
        ("application/vnd.swift.registryX", 400),
        ("application/vnd.swift.registry.v2+json", 415),
        ("application/vnd.swift.registry.v10+json", 415),
        ("application/vnd.swift.registry.v01+json", 415),
        ("application/json, application/vnd.swift.registry.v2+json", 415),
        ("application/vnd.swift.registry.vx+json", 400),
        ("application/vnd.swift.registry.v+json", 400),
        ("application/vnd.swift.registry.v1json", 400),
        ("application/vnd.swift.registry.v1 +json", 400),
        ("application/vnd.swift.registry.w1+json", 400),
        ("application/vnd.swift.registry.v٣+json", 400),
    ])
    func acceptClasses(accept: String, status: Int) {
        #expect(Self.outcome(accept) == status, "\(accept)")
    }

    @Test func problemDetailsNameTheVersion() throws {
        let problem = try #require(throws: Problem.self) { try APIVersion.check(accept: "application/vnd.swift.registry.v2+json") }
        #expect(problem.detail.contains("version 2"))
        let malformed = try #require(throws: Problem.self) { try APIVersion.check(accept: " Application/VND.swift.registry.vX+json") }
        #expect(malformed.detail == "invalid API version in Accept: application/vnd.swift.registry.vx+json")
    }

    /// Random headers built from the grammar's pieces and from arbitrary bytes: each answer is
    /// 200, 400 or 415, and the registry type with version 1 appended after a comma never turns
    /// a 200 into anything else.
    @Test(arguments: [1, 2, 3] as [UInt64])
    func generatedHeaders(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        let pieces = [
            "application/vnd.swift.registry", ".v", ".V", "1", "2", "0", "x", "+json", "+zip", "json", ",", ";", " ", "\t",
            "q=0.5", "*/*", "text/html", "é", "\u{0}", "٣",
        ]
        for _ in 0..<3000 {
            var accept = ""
            for _ in 0..<(random.next() % 8) {
                if random.next() % 10 == 0 {
                    accept += String(decoding: (0..<(random.next() % 6)).map { _ in UInt8(truncatingIfNeeded: random.next()) }, as: UTF8.self)
                } else {
                    accept += pieces[Int(random.next() % UInt64(pieces.count))]
                }
            }
            let status = Self.outcome(accept)
            #expect([200, 400, 415].contains(status), "\(accept.debugDescription) → \(status)")
            if status == 200 {
                #expect(Self.outcome(accept + ",application/vnd.swift.registry.v1+json") == 200, "\(accept.debugDescription)")
            }
        }
    }
}
