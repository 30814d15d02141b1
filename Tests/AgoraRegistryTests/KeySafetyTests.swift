import AgoraCore
import AgoraStore
import AgoraViews
import Foundation
import Testing
@testable import AgoraRegistry

@Suite struct KeySafetyTests {
    @Test func aRotatedAwayKeyCannotSignAnythingTheViewsAccept() throws {
        let temp = try TemporaryHome()
        let registry = try temp.registry()
        let v1 = temp.folder("v1")
        try makePackage(at: v1, scope: "acme", name: "rotor", version: "1.0.0")
        _ = try registry.publish(folder: v1)
        let (rotated, _) = try registry.rotateKey()
        #expect(try permissions(temp.home.retiredIdentityURL(of: registry.identity.publicKey)) == 0o600)
        #expect(try permissions(temp.home.identityURL) == 0o600)

        // The stale handle on the old key is refused by the feed head record…
        let v2 = temp.folder("v2")
        try makePackage(at: v2, scope: "acme", name: "rotor", version: "2.0.0")
        #expect(throws: RegistryError.self) { try registry.publish(folder: v2) }

        // …and whatever the old key signs anyway (a thief with the key file) is ignored by the views.
        let head = try #require(try rotated.store.head(of: registry.identity.publicKey))
        let forged = [
            EventBody.releasePublished(ReleasePublished(
                scope: "acme", name: "rotor", version: "6.6.6", manifest: Manifest(scope: "acme", name: "rotor", version: "6.6.6").canonicalJSON(),
                archiveDigest: [UInt8](repeating: 1, count: 32), archiveSize: 1)),
            .releaseYanked(ReleaseYanked(scope: "acme", name: "rotor", version: "1.0.0", reason: "thief")),
        ]
        var prev = head
        for body in forged {
            let event = try Event.sign(by: registry.identity, seq: prev.seq + 1, prev: prev.id, timestamp: 1, body: body)
            let next = try rotated.store.lastLocalSeq() + 1
            #expect(try rotated.store.append([event], verification: .everySignature) == [.appended(localSeq: next)])
            prev = FeedHead(seq: event.seq, id: event.id)
        }
        let info = try rotated.info(try PackageIdentity(parsing: "acme/rotor"))
        #expect(info.releases.map(\.version) == ["1.0.0"])
        #expect(info.releases.allSatisfy { !$0.yanked })
        #expect(try rotated.audit(deep: true).ok)
    }

    @Test func installChecksEveryArchiveBeforeTouchingAnyFolder() throws {
        let temp = try TemporaryHome()
        let registry = try temp.registry()
        let folder = temp.folder("lib")
        try makePackage(at: folder, scope: "acme", name: "lib", version: "1.0.0")
        _ = try registry.publish(folder: folder)
        let state = try #require(try registry.store.packageState(PackageKey(scope: "acme", name: "lib")))
        let release = try #require(state.releases.first)
        let good = try registry.verifiedArchive(of: release, package: try PackageIdentity(parsing: "acme/lib"), version: SemanticVersion(parsing: "1.0.0"))
        let target = temp.folder("deps")
        try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
        // Table: the second archive fails in each way an archive can; the first is never placed.
        let failures: [() throws -> [UInt8]] = [
            { [0x50, 0x4B, 0x03, 0x04] },
            { Array(good.prefix(good.count / 2)) },
            { throw RegistryError("digest mismatch", code: .integrity) },
        ]
        for failure in failures {
            let items = [
                InstallFolder.Item(package: try PackageIdentity(parsing: "acme/lib"), version: try SemanticVersion(parsing: "1.0.0"), release: release) { good },
                InstallFolder.Item(package: try PackageIdentity(parsing: "acme/zzz"), version: try SemanticVersion(parsing: "1.0.0"), release: release, archive: failure),
            ]
            #expect(throws: RegistryError.self) { try InstallFolder(directory: target).install(items) }
            #expect(try FileManager.default.contentsOfDirectory(atPath: target.path).filter { $0 != "acme" } == [])
            #expect(!FileManager.default.fileExists(atPath: target.appendingPathComponent("acme/lib").path))
        }
    }

    @Test func terminalTextEscapesEveryControlAndBidiScalar() {
        let table: [(String, String)] = [
            ("plain é 数据 🙂", "plain é 数据 🙂"),
            ("\u{1B}[31mred", "\\u{1B}[31mred"),
            ("a\rb\nc\td", "a\\u{D}b\\u{A}c\\u{9}d"),
            ("\u{9B}2J", "\\u{9B}2J"),
            ("abc\u{202E}fed", "abc\\u{202E}fed"),
            ("\u{0}\u{7F}\u{2028}", "\\u{0}\\u{7F}\\u{2028}"),
        ]
        for (input, expected) in table { #expect(TerminalText.escape(input) == expected) }
        #expect(TerminalText.escapeKeepingLines("one\u{1B}\ntwo") == "one\\u{1B}\ntwo")
        // Generated: every scalar of the first planes alone and between letters.
        for value in UInt32(0)...0x2100 {
            guard let scalar = Unicode.Scalar(value) else { continue }
            let escaped = TerminalText.escape("a\(Character(scalar))b")
            #expect(!escaped.unicodeScalars.contains(where: TerminalText.needsEscape))
            if !TerminalText.needsEscape(scalar) { #expect(escaped == "a\(Character(scalar))b") }
        }
    }
}

func permissions(_ url: URL) throws -> Int {
    var info = stat()
    guard lstat(url.path, &info) == 0 else { throw RegistryError("cannot stat \(url.path)") }
    return Int(info.st_mode & 0o7777)
}

extension KeySafetyTests {
    /// Table of the states a killed rotation can leave, made by hand: opening the home
    /// finishes a committed rotation and discards one that never committed.
    @Test func openingAHomeResolvesEveryHalfDoneRotation() throws {
        enum Left { case notCommitted, committed, headSwitched, headSwitchedStoreLost }
        for left in [Left.notCommitted, .committed, .headSwitched, .headSwitchedStoreLost] {
            let temp = try TemporaryHome()
            let registry = try temp.registry()
            let old = registry.identity
            let next = Identity.generate()
            #expect(try KeyFiles.create(next, at: temp.home.pendingIdentityURL))
            switch left {
            case .notCommitted:
                break
            case .committed:
                let body = KeyRotated(newKey: next.publicKey, newKeySignature: try next.sign(KeyRotated.countersignedMessage(old: old.publicKey, new: next.publicKey)))
                _ = try registry.withWriterLock { try registry.appendOwn(.keyRotated(body)) }
            case .headSwitched, .headSwitchedStoreLost:
                let body = KeyRotated(newKey: next.publicKey, newKeySignature: try next.sign(KeyRotated.countersignedMessage(old: old.publicKey, new: next.publicKey)))
                if left == .headSwitched { _ = try registry.withWriterLock { try registry.appendOwn(.keyRotated(body)) } }
                try FeedHeadRecord(key: next.publicKey, seq: 0, id: nil).write(home: temp.home)
            }
            let reopened = try Registry(home: temp.home)
            let finished = left != .notCommitted
            #expect(reopened.identity.publicKey == (finished ? next.publicKey : old.publicKey), "\(left)")
            #expect(reopened.completedRotation == (finished ? next.publicKey : nil))
            #expect(!FileManager.default.fileExists(atPath: temp.home.pendingIdentityURL.path))
            #expect(FileManager.default.fileExists(atPath: temp.home.retiredIdentityURL(of: old.publicKey).path) == finished)
            // The node signs on with whichever key is current.
            let folder = temp.folder("p")
            try makePackage(at: folder, scope: "acme", name: "after", version: "1.0.0")
            #expect(try reopened.publish(folder: folder).alreadyPublished == false)
        }
    }
}
