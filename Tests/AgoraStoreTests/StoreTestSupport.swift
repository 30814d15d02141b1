import AgoraCore
import AgoraMigrations
import AgoraTestSupport
import Foundation
@testable import AgoraStore

/// A deliberately simple, order-independent view: per (package, version, author) the release
/// with the lowest seq, and per package the set of its release event IDs (DUPFIXED).
struct TestViews: ViewMaintainer {
    var viewVersion: UInt32 = 1
    var databaseSpecs: [DatabaseSpec] { [DatabaseSpec("testReleases"), DatabaseSpec("testPackageEvents", flags: [.duplicateSort, .duplicateFixed])] }

    func apply(_ events: [Event], in txn: WriteTransaction, store: StoreDatabases, views: ViewDatabases) throws {
        let releases = views.all[0]
        let packageEvents = views.all[1]
        for event in events {
            guard case .releasePublished(let body)? = try? event.decodedBody() else { continue }
            let package = Array("\(body.scope)/\(body.name)".lowercased().utf8)
            var key = package + [0] + Array(body.version.utf8) + [0]
            key.append(contentsOf: event.author.bytes)
            if let existing = try txn.get(releases, key: key), let seq = BigEndian.uint64(existing.prefix(8)), seq <= event.seq {
                continue
            }
            try txn.put(releases, key: key, value: BigEndian.bytes(event.seq) + event.id.bytes)
            try txn.put(packageEvents, key: package, value: event.id.bytes)
        }
    }
}

func openStore(_ directory: TemporaryDirectory, views: (any ViewMaintainer)? = TestViews(),
               configuration: EnvironmentConfiguration = EnvironmentConfiguration()) throws -> Store {
    try Store(home: directory.url, migrations: AgoraMigrations.all, views: views, configuration: configuration)
}

/// An event with one signature byte flipped: it still decodes, but no longer verifies.
func forged(_ event: Event) throws -> Event {
    var bytes = event.bytes
    bytes[bytes.count - 1] ^= 0x01
    return try Event(decoding: bytes)
}
