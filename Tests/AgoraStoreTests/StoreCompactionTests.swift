import AgoraCore
import AgoraTestSupport
import Foundation
import Testing
@testable import AgoraStore

@Suite struct StoreCompactionTests {
    /// A store whose blobs were mostly deleted again: most of its file is free pages.
    static func storeWithFreePages(_ directory: TemporaryDirectory) throws -> (events: [Event], kept: BlobDigest) {
        var alice = FeedBuilder(seed: 3)
        for index in 0..<200 { alice.publish("acme", "tool\(index)", "1.0.0") }
        let store = try openStore(directory)
        _ = try store.append(alice.events, verification: .chain)
        var rng = SeededGenerator(seed: 8)
        let kept = try store.putBlob((0..<300_000).map { _ in UInt8.random(in: 0...255, using: &rng) })
        for round in 0..<20 {
            _ = try store.putBlob((0..<200_000).map { _ in UInt8.random(in: 0...255, using: &rng) } + [UInt8(round)])
        }
        try store.environment.write { txn in
            var doomed: [[UInt8]] = []
            try txn.forEach(store.databases.blobs) { entry in
                if !entry.key.elementsEqual(kept.bytes) { doomed.append(Array(entry.key)) }
                return true
            }
            for key in doomed {
                try txn.delete(store.databases.blobs, key: key)
                var chunks: [[UInt8]] = []
                try txn.forEach(store.databases.blobChunks, prefix: key) { chunks.append(Array($0.key)); return true }
                for chunk in chunks { try txn.delete(store.databases.blobChunks, key: chunk) }
            }
        }
        return (alice.events, kept)
    }

    @Test func compactionShrinksTheFileAndKeepsEverything() throws {
        let directory = try TemporaryDirectory()
        let (events, kept) = try Self.storeWithFreePages(directory)
        let report = try Store.compact(directory: directory.url.appendingPathComponent("store"))
        #expect(report.bytesAfter < report.bytesBefore / 2, "\(report)")
        #expect(!FileManager.default.fileExists(atPath: directory.url.appendingPathComponent("store/compact.tmp").path))
        let store = try openStore(directory)
        #expect(try store.lastLocalSeq() == UInt64(events.count))
        #expect(try store.event(id: events[17].id) == events[17])
        #expect(try store.blob(kept)?.count == 300_000)
        #expect(try store.verify(deep: true).ok)
        #expect(try store.verifyViews().equal)
        var more = FeedBuilder(seed: 4)
        more.publish("other", "tool", "1.0.0")
        #expect(try store.append(more.events, verification: .chain) == [.appended(localSeq: UInt64(events.count + 1))])
    }

    @Test(.enabled(if: ForeignWriter.available, "needs python3 and liblmdb"))
    func storeOpenInAnotherProcessIsRefusedUntouched() throws {
        let directory = try TemporaryDirectory()
        _ = try Self.storeWithFreePages(directory)
        let path = directory.url.appendingPathComponent("store")
        let before = try Data(contentsOf: path.appendingPathComponent("data.mdb"))
        let foreign = try ForeignWriter(path: path.path, database: "meta", key: "foreign", mode: "hold", mapSize: 64 << 20)
        #expect(foreign.line() == "locked")
        #expect {
            try Store.compact(directory: path)
        } throws: { error in
            guard case .busy(_, let pid)? = error as? StoreError else { return false }
            return pid > 0
        }
        foreign.killHard()
        #expect(try Data(contentsOf: path.appendingPathComponent("data.mdb")) == before)
    }
}
