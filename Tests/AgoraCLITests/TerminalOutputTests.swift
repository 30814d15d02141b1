import AgoraCore
import AgoraWire
import Foundation
import Testing

/// Text from publishers (descriptions, keywords, authors, yank reasons, file names) never
/// reaches a terminal raw: generated hostile strings through every human-output command,
/// whose stdout and stderr must hold no control, C1 or bidi character except our own line
/// breaks; `--json` must give the exact strings back.
@Suite struct TerminalOutputTests {
    /// Pieces an attacker would use: ANSI colour and cursor moves, OSC title/hyperlink, bare
    /// CSI/NEL (C1), CR to overwrite a line, NUL, DEL, bell, backspace, tab, newline to forge
    /// a line, line/paragraph separators, and bidi overrides and isolates (Trojan Source).
    static let hostile = [
        "\u{1B}[31m", "\u{1B}[2J\u{1B}[H", "\u{1B}]0;pwned\u{07}", "\u{1B}]8;;http://evil\u{1B}\\", "\u{9B}31m", "\u{85}",
        "\r", "\u{0}", "\u{7F}", "\u{07}", "\u{08}", "\t", "\n", "\u{2028}", "\u{2029}", "\u{202E}", "\u{2066}", "\u{2069}",
        "\u{200F}", "\u{061C}",
    ]
    static let plain = ["ok", "é", "数据", " ", "-", "safe text", "🙂"]

    static func generated(_ rng: inout SplitMix64, pieces: Int) -> String {
        (0..<pieces).map { _ in
            rng.next() % 2 == 0 ? hostile[Int(rng.next() % UInt64(hostile.count))] : plain[Int(rng.next() % UInt64(plain.count))]
        }.joined()
    }

    /// What must never appear raw: C0 controls but the line feed, DEL, C1, separators, bidi controls.
    static func rawControls(in data: Data) -> [UInt32] {
        String(decoding: data, as: UTF8.self).unicodeScalars.map(\.value).filter { value in
            switch value {
            case 0x0A: false
            case 0x00...0x1F, 0x7F...0x9F, 0x2028, 0x2029, 0x061C, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: true
            default: false
            }
        }
    }

    func expectClean(_ result: AgoraRunner.Result, _ what: String) {
        #expect(Self.rawControls(in: result.stdout).isEmpty, "\(what) stdout: \(result.out.unicodeScalars.map { $0.escaped(asASCII: true) }.joined())")
        #expect(Self.rawControls(in: result.stderr).isEmpty, "\(what) stderr: \(result.err.unicodeScalars.map { $0.escaped(asASCII: true) }.joined())")
    }

    @Test(arguments: [1, 2, 3] as [UInt64])
    func hostileMetadataIsEscapedInHumanOutputAndExactInJSON(seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        let scratch = try Scratch()
        let agora = scratch.agora
        expectClean(try agora.ok("init"), "init")
        var packages: [(name: String, description: String, keywords: [String], authors: [String], reason: String)] = []
        for index in 0..<4 {
            let name = "pkg\(index)"
            let description = Self.generated(&rng, pieces: 8)
            let keywords = (0..<2).map { _ in Self.generated(&rng, pieces: 3) }
            let authors = [Self.generated(&rng, pieces: 4)]
            let fileName = "file" + Self.generated(&rng, pieces: 2).filter { $0 != "/" && $0 != "\0" } + ".txt"
            let folder = try scratch.package(
                name, name: name, version: "1.0.0", description: description, keywords: keywords, authors: authors,
                files: ["main.txt": "x", fileName: "y"])
            let published = try agora.run("publish", folder.path)
            expectClean(published, "publish \(name)")
            guard published.status == 0 else { continue }
            // Command-line arguments end at NUL, so a reason given as one cannot hold it.
            let reason = Self.generated(&rng, pieces: 6).filter { $0 != "\0" }
            expectClean(try agora.ok("yank", "acme/\(name)@1.0.0", "--reason=\(reason)"), "yank")
            packages.append((name, description, keywords, authors, reason))
        }
        #expect(!packages.isEmpty)
        let folder = scratch.url.appendingPathComponent("deps")
        for package in packages {
            expectClean(try agora.run("info", "acme/\(package.name)"), "info")
            expectClean(try agora.run("install", "acme/\(package.name)@=1.0.0", "--to", folder.path), "install")
            let info = try #require(try agora.json("info", "acme/\(package.name)") as? [String: Any])
            let release = try #require((info["releases"] as? [[String: Any]])?.first)
            let manifest = try #require(release["manifest"] as? [String: Any])
            #expect(manifest["description"] as? String == package.description)
            // Keywords are normalised on publish (trimmed, lowercased), so only their count is exact.
            #expect((manifest["keywords"] as? [String])?.count == package.keywords.count)
            #expect(manifest["authors"] as? [String] == package.authors)
            #expect(release["yankReason"] as? String == package.reason)
        }
        for query in ["pkg", "ok", Self.generated(&rng, pieces: 3)] {
            expectClean(try agora.run("search", query, "--include-yanked"), "search")
        }
        expectClean(try agora.run("log"), "log")
        expectClean(try agora.run("keys"), "keys")
        expectClean(try agora.run("trust"), "trust")
        expectClean(try agora.run("verify"), "verify")
        expectClean(try agora.run("info", "acme/\(Self.generated(&rng, pieces: 3).filter { $0 != "\0" })"), "info of a hostile name")
    }
}

/// The remote peer is the other author of human output: `agora identify` prints what it
/// says about itself.
@Suite(.serialized) struct RemotePeerOutputNetworkTests {
    /// Runs the blocking process off the concurrency pool, which the host's tasks need.
    func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Result { try body() }) }
        }
    }

    @Test(arguments: [11, 12, 13] as [UInt64])
    func hostileIdentifyAnswersAreEscaped(seed: UInt64) async throws {
        var rng = SplitMix64(seed: seed)
        let agent = TerminalOutputTests.generated(&rng, pieces: 10).filter { $0 != "\0" }
        let version = TerminalOutputTests.generated(&rng, pieces: 4).filter { $0 != "\0" }
        let host = P2PHost(
            identity: try Identity(seed: [UInt8](repeating: UInt8(seed), count: 32)),
            // Generous upgrade time on both sides: the test checks output, not speed.
            configuration: HostConfiguration(agentVersion: agent, protocolVersion: version, upgrade: .init(timeout: .seconds(120))))
        let scratch = try Scratch()
        try await withRunningHost(host) { host in
            let address = try await host.listen(on: try Multiaddr(parsing: "/ip4/127.0.0.1/tcp/0")).withPeerID(host.peerID)
            let agora = scratch.agora
            let human = try await offPool { try agora.ok("identify", "\(address)", "--timeout", "120") }
            #expect(TerminalOutputTests.rawControls(in: human.stdout).isEmpty, "\(human.out.debugDescription)")
            let answer = try await offPool { try JSONSerialization.data(withJSONObject: try agora.json("identify", "\(address)", "--timeout", "120")) }
            let json = try #require(try JSONSerialization.jsonObject(with: answer) as? [String: Any])
            #expect(json["agent_version"] as? String == agent)
            #expect(json["protocol_version"] as? String == version)
        }
    }
}
