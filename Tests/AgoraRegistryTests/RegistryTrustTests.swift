import AgoraCore
import AgoraStore
import AgoraViews
import Foundation
import Testing
@testable import AgoraRegistry

@Suite struct RegistryTrustTests {
    /// A second key publishes into the same scope on another node; both histories reach a third node.
    @Test func contestedScopeIsRefusedUntilPinned() throws {
        let alice = try TemporaryHome()
        let mallory = try TemporaryHome()
        let carol = try TemporaryHome()
        let aliceRegistry = try alice.registry()
        let malloryRegistry = try mallory.registry()
        let carolRegistry = try carol.registry()

        let aliceFolder = alice.folder("pkg")
        try makePackage(at: aliceFolder, scope: "acme", name: "widget", version: "1.0.0", content: "alice")
        _ = try aliceRegistry.publish(folder: aliceFolder)
        let malloryFolder = mallory.folder("pkg")
        try makePackage(at: malloryFolder, scope: "acme", name: "widget", version: "2.0.0", content: "mallory")
        _ = try malloryRegistry.publish(folder: malloryFolder)

        for source in [aliceRegistry, malloryRegistry] {
            let events = try source.store.events(since: 0, limit: 100).map(\.event)
            _ = try carolRegistry.store.append(events, verification: .everySignature)
            for event in events {
                guard case .releasePublished(let body) = try event.decodedBody() else { continue }
                let digest = try #require(BlobDigest(bytes: body.archiveDigest))
                let archive = try #require(try source.store.blob(digest))
                _ = try carolRegistry.store.putBlob(archive)
            }
        }
        let info = try carolRegistry.info(try PackageIdentity(parsing: "acme/widget"))
        #expect(info.contested)
        #expect(info.claimants.count == 2)

        let target = carol.folder("app")
        #expect {
            try carolRegistry.install(try PackageRequest(parsing: "acme/widget"), into: target)
        } throws: { error in
            (error as? RegistryError)?.code == .untrusted && "\(error)".contains("agora trust acme")
        }
        try carolRegistry.trust(scope: "acme", key: aliceRegistry.identity.publicKey)
        let result = try carolRegistry.install(try PackageRequest(parsing: "acme/widget"), into: target)
        #expect(result.installed.map(\.version) == ["1.0.0"])
        let content = try String(contentsOf: target.appendingPathComponent("acme/widget/main.txt"), encoding: .utf8)
        #expect(content == "alice")
    }

    /// Pins fold a scope's ASCII case, both ways; a scope no publish could use is refused by
    /// `untrust` as by `trust`, with the rule's reason, instead of "not pinned".
    @Test func pinsFoldCaseAndRefuseInvalidScopes() throws {
        let temp = try TemporaryHome()
        let registry = try temp.registry()
        let key = registry.identity.publicKey
        _ = try registry.trust(scope: "Acme-Tools", key: key)
        #expect(try registry.store.pinnedKey(for: "acme-tools") == key)
        #expect(try registry.pins().contains { $0.scope == "acme-tools" && $0.key == key })
        #expect(try registry.untrust(scope: "ACME-TOOLS"))
        #expect(try registry.store.pinnedKey(for: "acme-tools") == nil)
        #expect(try !registry.untrust(scope: "acme-tools"))
        for scope in ["", "acme tools", "-acme", "\u{212A}it", "café", String(repeating: "a", count: 40)] {
            #expect(throws: RegistryError.self, "\(scope)") { try registry.untrust(scope: scope) }
            #expect(throws: RegistryError.self, "\(scope)") { try registry.trust(scope: scope, key: key) }
        }
    }

    @Test func firstUsePinsTheOnlyClaimant() throws {
        let temp = try TemporaryHome()
        let registry = try temp.registry()
        try registry.store.environment.write { txn in _ = try txn.delete(registry.store.databases.pins, key: Array("acme".utf8)) }
        let folder = temp.folder("pkg")
        try makePackage(at: folder, scope: "acme", name: "tofu", version: "1.0.0")
        _ = try registry.publish(folder: folder)
        #expect(try registry.store.pinnedKey(for: "acme") == registry.identity.publicKey)
    }

    @Test func rotatedKeyKeepsItsScope() throws {
        let temp = try TemporaryHome()
        let registry = try temp.registry()
        let v1 = temp.folder("v1")
        try makePackage(at: v1, scope: "acme", name: "rotor", version: "1.0.0")
        _ = try registry.publish(folder: v1)
        let (rotated, result) = try registry.rotateKey()
        #expect(result.oldKey != result.newKey)
        #expect(rotated.identity.publicKey.hex == result.newKey)
        #expect(FileManager.default.fileExists(atPath: result.retiredKeyFile))

        let v2 = temp.folder("v2")
        try makePackage(at: v2, scope: "acme", name: "rotor", version: "1.1.0")
        _ = try rotated.publish(folder: v2)
        let info = try rotated.info(try PackageIdentity(parsing: "acme/rotor"))
        #expect(!info.contested)
        #expect(info.latest == "1.1.0")
        let installed = try rotated.install(try PackageRequest(parsing: "acme/rotor"), into: temp.folder("app"))
        #expect(installed.installed.map(\.version) == ["1.1.0"])
        #expect(try rotated.audit(deep: true).ok)
    }
}
