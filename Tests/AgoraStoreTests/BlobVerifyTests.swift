import AgoraCore
import AgoraMigrations
import Foundation
import AgoraTestSupport
import Testing
@testable import AgoraStore

/// `verify(deep: true)` re-reads every stored blob: each kind of damage is reported against the
/// release that signed the blob's digest, naming the chunk wherever the damage is local to one.
@Suite struct BlobVerifyTests {
    enum Content: Sendable { case text, noise }

    struct Damage: CustomStringConvertible, Sendable {
        let description: String
        let content: Content
        /// Substrings the problem's reason must hold.
        let expect: [String]
        let apply: @Sendable (WriteTransaction, StoreDatabases, BlobDigest) throws -> Void
    }

    static func chunkKey(_ digest: BlobDigest, _ index: UInt32) -> [UInt8] { digest.bytes + BigEndian.bytes(index) }

    static func edit(_ txn: WriteTransaction, _ dbs: StoreDatabases, _ key: [UInt8], _ change: (inout [UInt8]) -> Void) throws {
        guard var value = try txn.get(dbs.blobChunks, key: key) else { throw StoreError.corrupt("test: no chunk") }
        change(&value)
        try txn.put(dbs.blobChunks, key: key, value: value)
    }

    static let damages: [Damage] = [
        Damage(description: "a flipped byte in a compressed chunk", content: .text, expect: ["chunk 3 of 10"]) { txn, dbs, digest in
            try edit(txn, dbs, chunkKey(digest, 3)) { $0[$0.count / 2] ^= 0x10 }
        },
        Damage(description: "a missing chunk", content: .text, expect: ["chunk 7 of 10 is missing"]) { txn, dbs, digest in
            try txn.delete(dbs.blobChunks, key: chunkKey(digest, 7))
        },
        Damage(description: "a short raw chunk", content: .noise, expect: ["chunk 2 of 10", "expected 1000"]) { txn, dbs, digest in
            try edit(txn, dbs, chunkKey(digest, 2)) { $0.removeLast(10) }
        },
        Damage(description: "an unknown chunk encoding", content: .noise, expect: ["chunk 4 of 10", "unknown encoding"]) { txn, dbs, digest in
            try edit(txn, dbs, chunkKey(digest, 4)) { $0[0] = 9 }
        },
        Damage(description: "a flipped byte in a raw chunk", content: .noise, expect: ["hash to sha256"]) { txn, dbs, digest in
            try edit(txn, dbs, chunkKey(digest, 5)) { $0[100] ^= 0x01 }
        },
        Damage(description: "a damaged header", content: .noise, expect: ["malformed or oversized header"]) { txn, dbs, digest in
            try txn.put(dbs.blobs, key: digest.bytes, value: [1] + BigEndian.bytes(UInt64.max) + BigEndian.bytes(UInt32(1000)))
        },
    ]

    static func blob(_ content: Content) -> [UInt8] {
        var rng = SeededGenerator(seed: 77)
        switch content {
        case .text: return Array(String(repeating: "package registry chunk ", count: 500).utf8.prefix(10_000))
        case .noise: return (0..<10_000).map { _ in UInt8.random(in: 0...255, using: &rng) }
        }
    }

    @Test(arguments: damages)
    func deepVerifyNamesTheReleaseAndTheChunk(_ damage: Damage) throws {
        let directory = try TemporaryDirectory()
        let store = try Store(
            home: directory.url, migrations: AgoraMigrations.all, views: nil,
            limits: StoreLimits(maxBlobSize: 1 << 20, blobChunkSize: 1000))
        let bytes = Self.blob(damage.content)
        let digest = try store.putBlob(bytes)
        var alice = FeedBuilder(seed: 1)
        alice.append(.releasePublished(ReleasePublished(
            scope: "acme", name: "tool", version: "1.0.0", manifest: Manifest(scope: "acme", name: "tool", version: "1.0.0").canonicalJSON(),
            archiveDigest: digest.bytes, archiveSize: UInt64(bytes.count))))
        _ = try store.append(alice.events, verification: .chain)
        #expect(try store.verify(deep: true).ok)

        try store.environment.write { txn in try damage.apply(txn, store.databases, digest) }
        #expect(try store.verify(deep: false).ok, "chain verification does not read blobs")
        let problem = try #require(try store.verify(deep: true).firstProblem, "\(damage)")
        #expect(problem.localSeq == 1 && problem.author == alice.key)
        #expect(problem.reason.contains("acme/tool 1.0.0") && problem.reason.contains(digest.hex), "\(problem)")
        for text in damage.expect { #expect(problem.reason.contains(text), "\(damage): \(problem)") }
    }

    @Test func aDamagedBlobNoReleaseNamesIsReportedToo() throws {
        let directory = try TemporaryDirectory()
        let store = try openStore(directory)
        let digest = try store.putBlob(Self.blob(.noise))
        try store.environment.write { txn in try Self.edit(txn, store.databases, Self.chunkKey(digest, 0)) { $0.removeLast() } }
        let problem = try #require(try store.verify(deep: true).firstProblem)
        #expect(problem.reason.contains("no release names it") && problem.description == problem.reason, "\(problem)")
    }
}
