import AgoraCore
import AgoraStore
import AgoraViews
import Foundation
import Testing
@testable import AgoraRegistry

@Suite struct RegistryAuditTests {
    @Test func auditPassesThenNamesACorruptEvent() throws {
        let temp = try TemporaryHome()
        let registry = try temp.registry()
        for version in ["1.0.0", "1.0.1", "1.0.2"] {
            let folder = temp.folder(version)
            try makePackage(at: folder, scope: "acme", name: "audited", version: version, content: version)
            _ = try registry.publish(folder: folder)
        }
        let clean = try registry.audit(deep: true)
        #expect(clean.ok)
        #expect(clean.events == 3)
        #expect(clean.viewsEqual)

        let second = try #require(try registry.store.events(since: 1, limit: 1).first)
        var bytes = second.event.bytes
        bytes[bytes.count - 70] ^= 0x01
        try registry.store.environment.write { txn in
            try txn.put(registry.store.databases.log, key: BigEndian.bytes(second.localSeq), value: bytes)
        }
        let report = try registry.audit(deep: true)
        #expect(!report.ok)
        #expect(report.problem?.contains("2") == true)
    }

    @Test func logPagesInLocalOrder() throws {
        let temp = try TemporaryHome()
        let registry = try temp.registry()
        for index in 0..<5 {
            let folder = temp.folder("p\(index)")
            try makePackage(at: folder, scope: "acme", name: "paged\(index)", version: "1.0.0")
            _ = try registry.publish(folder: folder)
        }
        let first = try registry.log(since: 0, limit: 2)
        #expect(first.entries.map(\.localSeq) == [1, 2])
        #expect(first.next == 2)
        let rest = try registry.log(since: try #require(first.next), limit: 10)
        #expect(rest.entries.map(\.localSeq) == [3, 4, 5])
        #expect(rest.next == nil)
        #expect(rest.entries.allSatisfy { $0.kind == "release-published" })
    }
}
