import AgoraTestSupport
import Foundation
import Testing
@testable import AgoraCore

/// Inputs built from the pieces version strings and ranges are made of, biased towards the
/// numbers that overflow (UInt64.max, one above it, 30 digits) and the operators whose bounds
/// add one to a part.
struct VersionTextGenerator {
    var rng: SeededGenerator

    static let numbers = [
        "0", "1", "2", "9", "10", "18446744073709551615", "18446744073709551615", "18446744073709551614", "0", "1",
        "18446744073709551616", "99999999999999999999999999999", "01", "x", "X", "*", "",
    ]
    static let operators = ["", "", "=", "^", "~", ">", ">=", "<", "<=", "^ ", ">= ", "~>"]
    static let suffixes = ["", "", "", "-0", "-beta.2", "-alpha", "+build.5", "-rc.1+sha.abc", "-", "+", "-01", "+a..b"]

    mutating func number() -> String { Self.numbers.randomElement(using: &rng)! }

    mutating func partialVersion() -> String {
        let parts = [1, 2, 3, 3, 3, 3, 4].randomElement(using: &rng)!
        var text = (0..<parts).map { _ in number() }.joined(separator: ".")
        if Int.random(in: 0..<3, using: &rng) == 0 { text += Self.suffixes.randomElement(using: &rng)! }
        return text
    }

    mutating func comparator() -> String {
        Self.operators.randomElement(using: &rng)! + partialVersion()
    }

    mutating func range() -> String {
        let alternatives = Int.random(in: 1...3, using: &rng)
        return (0..<alternatives).map { _ in
            if Int.random(in: 0..<4, using: &rng) == 0 { return "\(partialVersion()) - \(partialVersion())" }
            return (0..<Int.random(in: 1...3, using: &rng)).map { _ in comparator() }.joined(separator: " ")
        }.joined(separator: Bool.random(using: &rng) ? " || " : "||")
    }

    /// A generated string, or that string with a few random bytes changed.
    mutating func mutated(_ text: String) -> String {
        var bytes = Array(text.utf8)
        for _ in 0..<[0, 0, 0, 1, 2, 3].randomElement(using: &rng)! where !bytes.isEmpty {
            let alphabet = Array("0123456789.-+xX*^~<>=| vV".utf8) + [0, 0xff, 0x80]
            let index = Int.random(in: 0..<bytes.count, using: &rng)
            switch Int.random(in: 0..<3, using: &rng) {
            case 0: bytes[index] = alphabet.randomElement(using: &rng)!
            case 1: bytes.insert(alphabet.randomElement(using: &rng)!, at: index)
            default: bytes.remove(at: index)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

@Suite struct GeneratedInputTests {
    static let max = "18446744073709551615"

    func version(_ text: String) throws -> SemanticVersion { try SemanticVersion(parsing: text) }

    /// Every form whose upper bound adds one to a part, at the largest part: the bound carries
    /// into the next part or, with nothing above, the range is unbounded (or empty for `>`).
    @Test func rangeBoundsAtTheLargestNumbersCarryInsteadOfTrapping() throws {
        let m = Self.max
        let table: [(range: String, accepts: [String], rejects: [String])] = [
            ("^\(m).0.0", ["\(m).0.0", "\(m).\(m).\(m)"], ["\(m).0.0-beta", "1.0.0"]),
            ("^\(m)", ["\(m).5.0"], ["1.0.0"]),
            ("^0.\(m).0", ["0.\(m).7"], ["1.0.0", "0.1.0"]),
            ("^0.0.\(m)", ["0.0.\(m)"], ["0.1.0", "0.0.1"]),
            ("~1.\(m)", ["1.\(m).0", "1.\(m).\(m)"], ["2.0.0", "1.0.0"]),
            ("~1.\(m).3", ["1.\(m).3", "1.\(m).9"], ["2.0.0"]),
            ("~\(m)", ["\(m).1.2"], ["1.0.0"]),
            ("~\(m).\(m)", ["\(m).\(m).4"], ["\(m).1.0"]),
            ("\(m).x", ["\(m).0.0", "\(m).\(m).\(m)"], ["1.0.0"]),
            ("1.\(m).x", ["1.\(m).0"], ["2.0.0", "1.0.0"]),
            ("<=\(m).x", ["\(m).\(m).\(m)", "0.0.0"], []),
            (">\(m).x", [], ["\(m).\(m).\(m)", "0.0.0"]),
            (">\(m).\(m).x", [], ["\(m).\(m).\(m)"]),
            (">\(m).1.x", ["\(m).2.0"], ["\(m).1.\(m)"]),
            ("1.0.0 - \(m).x", ["1.0.0", "\(m).\(m).\(m)"], ["0.9.0"]),
            ("1.0.0 - 1.\(m)", ["1.\(m).\(m)"], ["2.0.0"]),
            ("\(m).\(m).\(m)", ["\(m).\(m).\(m)"], ["\(m).\(m).0"]),
        ]
        for row in table {
            let range = try VersionRange(parsing: row.range)
            for text in row.accepts { #expect(range.contains(try version(text)), "\(row.range) should contain \(text)") }
            for text in row.rejects { #expect(!range.contains(try version(text)), "\(row.range) should not contain \(text)") }
        }
        for tooLarge in ["^18446744073709551616", "~1.18446744073709551616", "1.2.99999999999999999999 - 2"] {
            #expect(throws: VersionRangeError.self) { try VersionRange(parsing: tooLarge) }
        }
    }

    @Test func generatedVersionStringsNeverTrap() throws {
        var generator = VersionTextGenerator(rng: SeededGenerator(seed: 0x5EED_0001))
        var parsed = 0
        for _ in 0..<40_000 {
            let text = generator.mutated(generator.partialVersion())
            guard let version = try? SemanticVersion(parsing: text) else { continue }
            parsed += 1
            let again = try SemanticVersion(parsing: version.description)
            #expect(again == version && again.build == version.build, "\(text) does not round-trip")
        }
        #expect(parsed > 2_000, "the generator should produce valid versions too")
    }

    @Test func generatedRangesNeverTrapAndMatchWithoutTrapping() throws {
        var generator = VersionTextGenerator(rng: SeededGenerator(seed: 0x5EED_0002))
        let probes = try ["0.0.0", "1.2.3", "\(Self.max).\(Self.max).\(Self.max)", "1.0.0-beta", "\(Self.max).0.0-0"].map(version)
        var parsed = 0
        for _ in 0..<40_000 {
            let text = generator.mutated(generator.range())
            guard let range = try? VersionRange(parsing: text) else { continue }
            parsed += 1
            for probe in probes { _ = range.contains(probe) }
            #expect(try VersionRange(parsing: range.text) == range)
        }
        #expect(parsed > 800, "the generator should produce valid ranges too")
    }

    /// Other nodes parse the dependency ranges inside a replicated manifest: the manifest
    /// decoder and validator must refuse, never trap, whatever a publisher signed.
    @Test func generatedManifestsNeverTrap() throws {
        var generator = VersionTextGenerator(rng: SeededGenerator(seed: 0x5EED_0003))
        var valid = 0
        for index in 0..<5_000 {
            var dependencies: [String: String] = [:]
            for dependency in 0..<Int.random(in: 0...2, using: &generator.rng) {
                dependencies["acme/dep\(dependency)"] = generator.mutated(generator.range())
            }
            let manifest = Manifest(
                scope: "acme", name: "pkg\(index)", version: generator.mutated(generator.partialVersion()), dependencies: dependencies)
            var json = manifest.canonicalJSON()
            if index % 4 == 0, !json.isEmpty {
                json[Int.random(in: 0..<json.count, using: &generator.rng)] = UInt8.random(in: 0...255, using: &generator.rng)
            }
            guard let decoded = try? Manifest.decode(file: "agora.json", json: json) else { continue }
            if (try? decoded.validated()) != nil { valid += 1 }
        }
        #expect(valid > 50, "the generator should produce valid manifests too")
    }

    /// `scope/name@range` as typed on the command line and as manifest dependency keys.
    @Test func generatedPackageRequestsNeverTrap() throws {
        var generator = VersionTextGenerator(rng: SeededGenerator(seed: 0x5EED_0006))
        let names = ["acme/json-kit", "Acme/JSON_kit", "a/b", "acme/", "/json", "acme/json/kit", "acme..json", "-acme/x", "ácme/x", ""]
        var parsed = 0
        for _ in 0..<20_000 {
            let name = names.randomElement(using: &generator.rng)!
            let text = generator.mutated(Bool.random(using: &generator.rng) ? "\(name)@\(generator.range())" : name)
            guard let request = try? PackageRequest(parsing: text) else { continue }
            parsed += 1
            _ = request.range.contains(SemanticVersion(1, 2, 3))
        }
        #expect(parsed > 1_000)
    }

    @Test func mutatedEventsNeverTrap() throws {
        var rng = SeededGenerator(seed: 0x5EED_0004)
        let identity = try Identity(seed: [UInt8](repeating: 4, count: 32))
        let bodies: [EventBody] = [
            .releasePublished(ReleasePublished(
                scope: "acme", name: "json", version: "1.0.0",
                manifest: Manifest(scope: "acme", name: "json", version: "1.0.0").canonicalJSON(),
                archiveDigest: [UInt8](repeating: 7, count: 32), archiveSize: 1234)),
            .releaseYanked(ReleaseYanked(scope: "acme", name: "json", version: "1.0.0", reason: "broken")),
            .retrievalObserved(RetrievalObserved(peer: [1, 2, 3], digest: [4], outcome: .timeout, bytes: .max, latencyMicros: 9)),
            .peerPenalised(PeerPenalised(peer: [9], reason: "bad", evidence: [1])),
        ]
        let seeds = try bodies.enumerated().map { index, body in
            try Event.sign(by: identity, seq: UInt64(index + 1), prev: index == 0 ? nil : EventID(hashing: [UInt8(index)]), timestamp: .max, body: body)
        }
        var decoded = 0
        for round in 0..<40_000 {
            var bytes = seeds[round % seeds.count].bytes
            switch round % 5 {
            case 0: bytes[Int.random(in: 0..<bytes.count, using: &rng)] ^= UInt8.random(in: 1...255, using: &rng)
            case 1: bytes.removeLast(Int.random(in: 1..<bytes.count, using: &rng))
            case 2: bytes.insert(contentsOf: Varint.encode(UInt64.random(in: 0...UInt64.max, using: &rng)), at: Int.random(in: 0..<bytes.count, using: &rng))
            case 3: bytes = (0..<Int.random(in: 0..<300, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            default:
                let start = Int.random(in: 0..<bytes.count, using: &rng)
                bytes.replaceSubrange(start..<min(bytes.count, start + 10), with: [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])
            }
            guard let event = try? Event(decoding: bytes) else { continue }
            decoded += 1
            _ = event.verifySignature()
            _ = try? event.decodedBody()
        }
        #expect(decoded > 0)
    }

    /// Any byte string either fails to decode or decodes to the one minimal encoding of its value.
    @Test func varintsDecodeCanonicallyOrNotAtAll() {
        var rng = SeededGenerator(seed: 0x5EED_0005)
        var decoded = 0
        for round in 0..<100_000 {
            let length = Int.random(in: 0...12, using: &rng)
            var bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
            if round % 2 == 0 { for index in bytes.indices.dropLast() { bytes[index] |= 0x80 } }
            guard let (value, used) = try? Varint.decode(bytes, at: 0) else { continue }
            decoded += 1
            #expect(Array(bytes[..<used]) == Varint.encode(value))
        }
        #expect(decoded > 10_000)
        #expect(throws: Varint.DecodeError.overflow) { try Varint.decode([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02], at: 0) }
        #expect(try! Varint.decode([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01], at: 0).value == .max)
    }

    @Test func signingRefusesWhatNoNodeWouldAccept() throws {
        let identity = try Identity(seed: [UInt8](repeating: 5, count: 32))
        let huge = EventBody.peerPenalised(PeerPenalised(peer: [1], reason: String(repeating: "x", count: Event.maxSize), evidence: []))
        #expect(throws: EventError.self) { try Event.sign(by: identity, seq: 1, prev: nil, timestamp: 0, body: huge) }
        let small = EventBody.peerPenalised(PeerPenalised(peer: [1], reason: "ok", evidence: []))
        #expect(throws: EventError.self) { try Event.sign(by: identity, seq: 0, prev: nil, timestamp: 0, body: small) }
        #expect(throws: EventError.self) { try Event.sign(by: identity, seq: 2, prev: nil, timestamp: 0, body: small) }
        let last = try Event.sign(by: identity, seq: .max, prev: EventID(hashing: [1]), timestamp: .max, body: small)
        #expect(try Event(decoding: last.bytes).seq == .max)
    }

    /// Build metadata does not make a version: it never counts for precedence, but an exact
    /// pin that names it means exactly that build.
    @Test func exactPinsWithBuildMetadataAreExact() throws {
        let pin = try VersionRange(parsing: "=1.0.0+b")
        #expect(pin.contains(try version("1.0.0+b")))
        #expect(!pin.contains(try version("1.0.0+a")))
        #expect(!pin.contains(try version("1.0.0")))
        #expect(try VersionRange(parsing: "1.0.0").contains(try version("1.0.0+a")))
        #expect(SemanticVersion.identityKey("1.0.0+a") == SemanticVersion.identityKey("1.0.0+b"))
        #expect(SemanticVersion.identityKey("1.0.0-rc.1+a") == "1.0.0-rc.1")
        #expect(SemanticVersion.identityKey("26.3") == "26.3")
    }
}
