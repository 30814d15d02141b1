import AgoraCore
import AgoraMigrations
import Foundation
import AgoraTestSupport
import Testing
@testable import AgoraStore

@Suite struct StoreBlobTests {
    private func randomBytes(_ count: Int, seed: UInt64) -> [UInt8] {
        var generator = SeededGenerator(seed: seed)
        return (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }

    @Test(arguments: [0, 1, 1000, 256 << 10, (256 << 10) + 1, 3 << 20])
    func roundTripsCompressibleAndRandomBlobs(size: Int) throws {
        let directory = try TemporaryDirectory()
        let store = try openStore(directory)
        let text = Array(String(repeating: "agora registry ", count: size / 15 + 1).utf8.prefix(size))
        let noise = randomBytes(size, seed: UInt64(size))
        for bytes in [text, noise] {
            let digest = try store.putBlob(bytes)
            #expect(digest == bytes.withUnsafeBytes { BlobDigest(hashing: $0) })
            #expect(try store.hasBlob(digest))
            #expect(try store.blobSize(digest) == size)
            #expect(try store.blob(digest) == bytes)
            #expect(try store.putBlob(bytes) == digest)
        }
    }

    @Test func compressibleChunksAreStoredCompressed() throws {
        let directory = try TemporaryDirectory()
        let store = try openStore(directory)
        let text = [UInt8](repeating: 65, count: 1 << 20)
        let digest = try store.putBlob(text)
        let stored = try store.read { txn in
            var total = 0
            try txn.forEach(store.databases.blobChunks, prefix: digest.bytes) { entry in
                #expect(entry.value.first == Store.zstdChunk)
                total += entry.value.count
                return true
            }
            return total
        }
        #expect(stored < text.count / 100)
        let noise = randomBytes(300_000, seed: 5)
        let noiseDigest = try store.putBlob(noise)
        let flags = try store.read { txn in
            var flags: [UInt8] = []
            try txn.forEach(store.databases.blobChunks, prefix: noiseDigest.bytes) { entry in
                flags.append(entry.value.first!)
                return true
            }
            return flags
        }
        #expect(flags == [Store.rawChunk, Store.rawChunk], "random bytes do not shrink, so they stay raw")
    }

    @Test func tamperedBlobIsRefusedNamingBothDigests() throws {
        let directory = try TemporaryDirectory()
        let store = try openStore(directory)
        let bytes = randomBytes(10_000, seed: 9)
        let digest = try store.putBlob(bytes)
        try store.environment.write { txn in
            var chunk = try txn.get(store.databases.blobChunks, key: digest.bytes + [0, 0, 0, 0])!
            chunk[500] ^= 0xFF
            try txn.put(store.databases.blobChunks, key: digest.bytes + [0, 0, 0, 0], value: chunk)
        }
        var tampered = bytes
        tampered[499] ^= 0xFF
        let actual = tampered.withUnsafeBytes { BlobDigest(hashing: $0) }
        #expect(throws: StoreError.blobDigestMismatch(expected: digest.hex, actual: actual.hex)) { try store.blob(digest) }
    }

    @Test func oversizedAndAbsentBlobs() throws {
        let directory = try TemporaryDirectory()
        let store = try Store(
            home: directory.url, migrations: AgoraMigrations.all, views: nil,
            limits: StoreLimits(maxBlobSize: 1000, blobChunkSize: 100))
        #expect(throws: StoreError.blobTooLarge(size: 1001, limit: 1000)) { try store.putBlob([UInt8](repeating: 0, count: 1001)) }
        let digest = try store.putBlob(randomBytes(1000, seed: 3))
        #expect(try store.read { try $0.count(store.databases.blobChunks) } == 10)
        let absent = BlobDigest(bytes: [UInt8](repeating: 0, count: 32))!
        #expect(try store.blob(absent) == nil)
        #expect(try !store.hasBlob(absent))
        #expect(try store.blob(digest)?.count == 1000)
    }

    @Test func publishStoresArchiveAndEventTogetherOrNeither() throws {
        struct Refusing: ViewMaintainer {
            var viewVersion: UInt32 { 1 }
            var databaseSpecs: [DatabaseSpec] { [] }
            func apply(_ events: [Event], in txn: WriteTransaction, store: StoreDatabases, views: ViewDatabases) throws {
                throw StoreError.corrupt("refused by test")
            }
        }
        var alice = FeedBuilder(seed: 1)
        alice.publish("acme", "tool", "1.0.0")
        let archive = randomBytes(5_000, seed: 11)
        let failing = try TemporaryDirectory()
        do {
            let store = try openStore(failing, views: Refusing())
            let prepared = try store.prepareBlob(archive)
            #expect(throws: StoreError.corrupt("refused by test")) {
                try store.append(alice.events, verification: .chain, storing: [prepared])
            }
            #expect(try !store.hasBlob(prepared.digest))
            #expect(try store.lastLocalSeq() == 0)
        }
        let directory = try TemporaryDirectory()
        let store = try openStore(directory)
        let prepared = try store.prepareBlob(archive)
        #expect(try store.append(alice.events, verification: .chain, storing: [prepared]) == [.appended(localSeq: 1)])
        #expect(try store.blob(prepared.digest) == archive)
    }
}
