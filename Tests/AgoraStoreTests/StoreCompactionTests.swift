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

    /// Entries put in random key order leave leaf pages about two-thirds full; compaction
    /// re-appends them in order, so the pages come out (nearly) full and every entry is kept.
    @Test func compactionRefillsPagesWrittenInRandomOrder() throws {
        let directory = try TemporaryDirectory()
        var rng = SeededGenerator(seed: 21)
        let entries = (0..<20_000).map { _ in
            ((0..<16).map { _ in UInt8.random(in: 0...255, using: &rng) }, (0..<40).map { _ in UInt8.random(in: 0...255, using: &rng) })
        }
        let before: DatabaseStatistics
        do {
            let store = try openStore(directory)
            for chunk in stride(from: 0, to: entries.count, by: 500) {
                try store.environment.write { txn in
                    for (key, value) in entries[chunk..<(chunk + 500)] { try txn.put(store.databases.meta, key: key, value: value) }
                }
            }
            before = try store.environment.read { try $0.statistics(store.databases.meta) }
        }
        _ = try Store.compact(directory: directory.url.appendingPathComponent("store"))
        let store = try openStore(directory)
        let after = try store.environment.read { try $0.statistics(store.databases.meta) }
        // A leaf node is an 8-byte header, the key and the value, plus a 2-byte slot; a page has a 16-byte header.
        let perPage = (after.pageSize - 16) / (8 + 16 + 40 + 2)
        let full = (before.entries + perPage - 1) / perPage
        #expect(before.leafPages * 4 > full * 5, "random-order inserts should leave pages partly empty: \(before)")
        #expect(after.leafPages * 20 <= full * 21, "\(after) against \(full) full pages")
        #expect(after.entries == before.entries)
        for (key, value) in entries.prefix(200) { #expect(try store.environment.read { try $0.get(store.databases.meta, key: key) } == value) }
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
