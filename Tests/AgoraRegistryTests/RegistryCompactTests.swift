import AgoraCore
import AgoraStore
import Foundation
import Testing
@testable import AgoraRegistry

@Suite struct RegistryCompactTests {
    /// Publishes, rebuilds the views twice (leaving free pages), compacts with no registry
    /// open, and finds everything again, audited.
    @Test func compactedHomeKeepsPackagesAndPassesTheAudit() throws {
        let temp = try TemporaryHome()
        do {
            let registry = try temp.registry()
            for version in ["1.0.0", "1.1.0"] {
                let folder = temp.folder(version)
                try makePackage(at: folder, scope: "acme", name: "compacted", version: version, content: version)
                _ = try registry.publish(folder: folder)
            }
            try registry.store.rebuildViews()
            try registry.store.rebuildViews()
        }
        let report = try Registry.compact(home: temp.home)
        #expect(report.bytesAfter <= report.bytesBefore)
        let registry = try temp.registry()
        #expect(try registry.store.search(query: "compacted").first?.summary.version == "1.1.0")
        let audit = try registry.audit(deep: true)
        #expect(audit.ok && audit.viewsEqual && audit.events == 2)
    }
}
