import AgoraCore
import AgoraTestSupport
import Foundation
import Testing
@testable import AgoraStore

/// The archive cache against a model: seeded sequences of fetches (puts), serves (uses),
/// installs (pin sets replaced), publishes (pinned puts) and evictions under a small budget.
struct ArchiveCacheTests {
    /// What the store should hold: size, last use (a counter: the store's stamps are strictly
    /// increasing in one process, so the orders agree) and pins per holder.
    struct Model {
        var blobs: [BlobDigest: (size: Int, lastUse: Int)] = [:]
        var pins: [BlobPinHolder: Set<BlobDigest>] = [:]
        var clock = 0

        var pinned: Set<BlobDigest> { pins.values.reduce(into: Set()) { $0.formUnion($1) } }
        var total: Int { blobs.values.reduce(0) { $0 + $1.size } }

        mutating func use(_ digest: BlobDigest) {
            clock += 1
            blobs[digest]?.lastUse = clock
        }

        /// Least recently used unpinned first, until the total fits.
        mutating func evict(toFit budget: Int) -> [BlobDigest] {
            var total = self.total
            var out: [BlobDigest] = []
            let pinned = self.pinned
            let order = blobs.filter { !pinned.contains($0.key) }.sorted { $0.value.lastUse < $1.value.lastUse }
            for (digest, entry) in order where total > budget {
                out.append(digest)
                total -= entry.size
                blobs[digest] = nil
            }
            return out
        }
    }

    static func randomBlob(_ generator: inout SeededGenerator) -> [UInt8] {
        let size = Int.random(in: 1...(96 << 10), using: &generator)
        return (0..<size).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }

    @Test(arguments: [1, 2, 3, 4, 5, 6])
    func seededSequencesKeepBudgetPinsAndLRUOrder(seed: UInt64) throws {
        let directory = try TemporaryDirectory()
        let store = try openStore(directory, views: nil)
        var generator = SeededGenerator(seed: seed)
        var model = Model()
        let budget = 256 << 10
        let projects = try (0..<3).map { index in
            let folder = directory.url.appendingPathComponent("project-\(index)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            return folder
        }
        let holders = projects.map(BlobPinHolder.installFolder)
        var evictions = 0
        for _ in 0..<160 {
            let known = Array(model.blobs.keys).sorted { $0.hex < $1.hex }
            switch Int.random(in: 0..<10, using: &generator) {
            case 0...2: // fetch: a new archive arrives
                let digest = try store.putBlob(Self.randomBlob(&generator))
                model.clock += 1
                model.blobs[digest] = (store.blobSizeOrZero(digest), model.clock)
            case 3: // publish: own archive, pinned with it
                let bytes = Self.randomBlob(&generator)
                let prepared = try store.prepareBlob(bytes).pinned(by: .published)
                _ = try store.append([], verification: .none, storing: [prepared])
                model.clock += 1
                model.blobs[prepared.digest] = (bytes.count, model.clock)
                model.pins[.published, default: []].insert(prepared.digest)
            case 4...5: // serve: a peer asks for a held archive
                guard let digest = known.randomElement(using: &generator) else { continue }
                store.noteBlobUse(digest)
                model.use(digest)
            case 6: // install: a project's pins become some held archives (and one not held yet)
                let holder = holders.randomElement(using: &generator)!
                var chosen = Set(known.filter { _ in Bool.random(using: &generator) }.prefix(2))
                if Bool.random(using: &generator) { chosen.insert(BlobDigest(hashing: UnsafeRawBufferPointer(start: nil, count: 0))) }
                try store.setBlobPins(Array(chosen), holder: holder, replacing: true)
                model.pins[holder] = chosen
            default: // the cache pass
                let expected = model.evict(toFit: budget)
                let evicted = try store.evictBlobs(toFit: UInt64(budget))
                #expect(evicted == expected, "seed \(seed)")
                evictions += evicted.count
                let usage = try store.archiveCacheUsage()
                let unpinnedLeft = try store.cachedDigests().subtracting(model.pinned)
                #expect(usage.bytes <= UInt64(budget) || unpinnedLeft.isEmpty)
                for digest in model.pinned where model.blobs[digest] != nil {
                    #expect(try store.hasBlob(digest), "a pinned archive was evicted")
                }
            }
            #expect(try store.cachedDigests() == Set(model.blobs.keys))
        }
        #expect(evictions > 0, "the sequence never exceeded the budget: it proves nothing")
        for digest in model.blobs.keys { #expect(try store.blob(digest) != nil) }
        #expect(try store.verify(deep: true).ok)
    }

    /// A project folder deleted by hand releases its archives at the next cache pass; folders
    /// still there, the node's own releases and pins whose label does not match their key
    /// (damaged or foreign records) keep theirs.
    @Test func pinsOfDeletedInstallFoldersAreReleased() throws {
        let directory = try TemporaryDirectory()
        let store = try openStore(directory, views: nil)
        var generator = SeededGenerator(seed: 31)
        let kept = directory.url.appendingPathComponent("kept project")
        let deleted = directory.url.appendingPathComponent("deleted/project")
        for folder in [kept, deleted] { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) }
        let keptDigest = try store.putBlob(Self.randomBlob(&generator))
        let deletedDigests = try (0..<3).map { _ in try store.putBlob(Self.randomBlob(&generator)) }
        let ownBytes = Self.randomBlob(&generator)
        let own = try store.prepareBlob(ownBytes).pinned(by: .published)
        _ = try store.append([], verification: .none, storing: [own])
        let foreignDigest = try store.putBlob(Self.randomBlob(&generator))
        try store.setBlobPins([keptDigest, deletedDigests[0]], holder: .installFolder(kept), replacing: true)
        try store.setBlobPins(deletedDigests, holder: .installFolder(deleted), replacing: true)
        // A label naming the deleted folder under another folder's key, and a relative label.
        try store.environment.write { txn in
            try txn.put(store.databases.blobPins, key: BlobPinHolder.installFolder(kept).bytes + foreignDigest.bytes, value: Array(deleted.path.utf8))
            try txn.put(store.databases.blobPins, key: [UInt8](repeating: 7, count: 16) + foreignDigest.bytes, value: Array("relative/gone".utf8))
        }
        #expect(try store.releasePinsOfRemovedFolders().isEmpty, "every folder is still there")

        try FileManager.default.removeItem(at: deleted.deletingLastPathComponent())
        let evicted = try store.evictBlobs(toFit: 0)
        #expect(Set(evicted) == Set(deletedDigests.dropFirst()), "the deleted folder's archives that nothing else pins")
        #expect(try store.hasBlob(keptDigest) && store.hasBlob(deletedDigests[0]) && store.hasBlob(own.digest))
        #expect(try store.hasBlob(foreignDigest), "a pin whose label does not match its key is kept")
        let pins = try store.blobPins()
        #expect(pins[deletedDigests[1]] == nil && pins[deletedDigests[2]] == nil)
        #expect(pins[deletedDigests[0]] == [kept.standardizedFileURL.path])
        #expect(try store.releasePinsOfRemovedFolders().isEmpty, "released once")

        // Installing into the same path again pins afresh.
        try FileManager.default.createDirectory(at: deleted, withIntermediateDirectories: true)
        try store.setBlobPins([deletedDigests[0]], holder: .installFolder(deleted), replacing: true)
        #expect(try store.releasePinsOfRemovedFolders().isEmpty)
        #expect(try store.blobPins()[deletedDigests[0]]?.count == 2)
    }

    /// A blob evicted is gone whole (header, chunks, use record) and can be stored again.
    @Test func evictedBlobLeavesNoChunkAndCanReturn() throws {
        let directory = try TemporaryDirectory()
        let store = try openStore(directory, views: nil)
        var generator = SeededGenerator(seed: 9)
        let bytes = (0..<(700 << 10)).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let digest = try store.putBlob(bytes)
        #expect(try store.evictBlobs(toFit: 0) == [digest])
        #expect(try store.chunkCount(of: digest) == 0)
        #expect(try store.read { txn in try txn.count(store.databases.blobUses) } == 0)
        #expect(try store.putBlob(bytes) == digest)
        #expect(try store.blob(digest) == bytes)
    }

    /// The streamed write stopped after each of its steps (a kill: nothing after it runs):
    /// the blob is invisible until the last, and recovery leaves neither chunks nor marker.
    @Test func streamedWriteKilledAtEachStepRecovers() throws {
        var generator = SeededGenerator(seed: 4)
        let bytes = (0..<(1_300 << 10)).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let digest = bytes.withUnsafeBytes { BlobDigest(hashing: $0) }
        struct Killed: Error {}
        // 1.3 MiB in batches of 512 KiB: the marker, three batches, the commit.
        for stopAfter in 0..<5 {
            let directory = try TemporaryDirectory()
            do {
                let store = try openStore(directory, views: nil)
                var steps = 0
                do {
                    try store.putBlob(digest: digest, size: bytes.count, batchBytes: 512 << 10, onStep: { _ in
                        if steps == stopAfter { throw Killed() }
                        steps += 1
                    }) { offset, count in Array(bytes[offset..<(offset + count)]) }
                } catch is Killed {}
                #expect(try store.hasBlob(digest) == (stopAfter == 4))
            }
            let reopened = try openStore(directory, views: nil)
            #expect(try reopened.recoverPendingBlobs(isAlive: { _ in false }) == (stopAfter == 4 ? 0 : 1))
            #expect(try reopened.read { txn in try txn.count(reopened.databases.blobPending) } == 0)
            if stopAfter < 4 {
                #expect(try reopened.chunkCount(of: digest) == 0, "orphan chunks after a kill at step \(stopAfter)")
                try reopened.putBlob(digest: digest, size: bytes.count) { offset, count in Array(bytes[offset..<(offset + count)]) }
            }
            #expect(try reopened.blob(digest) == bytes)
            #expect(try reopened.verify(deep: true).ok)
        }
    }

    /// A live writer's marker is left alone; a reader that does not hash to the digest leaves nothing.
    @Test func liveWritersAreSparedAndMismatchesLeaveNothing() throws {
        let directory = try TemporaryDirectory()
        let store = try openStore(directory, views: nil)
        let bytes = [UInt8](repeating: 7, count: 600 << 10)
        let wrong = [UInt8](repeating: 8, count: 600 << 10).withUnsafeBytes { BlobDigest(hashing: $0) }
        #expect(throws: StoreError.self) {
            try store.putBlob(digest: wrong, size: bytes.count) { offset, count in Array(bytes[offset..<(offset + count)]) }
        }
        #expect(try store.chunkCount(of: wrong) == 0)
        #expect(try !store.hasBlob(wrong))
        struct Killed: Error {}
        let digest = bytes.withUnsafeBytes { BlobDigest(hashing: $0) }
        _ = try? store.putBlob(digest: digest, size: bytes.count, batchBytes: 256 << 10, onStep: { if $0 == .batchWritten { throw Killed() } }) {
            offset, count in Array(bytes[offset..<(offset + count)])
        }
        #expect(try store.recoverPendingBlobs() == 0, "this process is alive: its write may still be going")
        #expect(try store.chunkCount(of: digest) == 1)
        #expect(try store.recoverPendingBlobs(isAlive: { _ in false }) == 1)
        #expect(try store.chunkCount(of: digest) == 0)
    }
}

extension Store {
    func blobSizeOrZero(_ digest: BlobDigest) -> Int { (try? blobSize(digest)) ?? nil ?? 0 }

    func cachedDigests() throws -> Set<BlobDigest> {
        try read { txn in
            var out: Set<BlobDigest> = []
            try txn.forEach(databases.blobs) { entry in
                out.insert(BlobDigest(bytes: Array(entry.key))!)
                return true
            }
            return out
        }
    }

    func chunkCount(of digest: BlobDigest) throws -> Int {
        try read { txn in
            var count = 0
            try txn.forEach(databases.blobChunks, prefix: digest.bytes) { _ in
                count += 1
                return true
            }
            return count
        }
    }
}
