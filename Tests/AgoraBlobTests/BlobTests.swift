import AgoraBlob
import AgoraCore
import AgoraMigrations
import AgoraStore
import AgoraTestSupport
import AgoraWire
import Crypto
import Testing

func randomBytes(_ count: Int, seed: UInt64) -> [UInt8] {
    var generator = SeededGenerator(seed: seed)
    var out = [UInt8](repeating: 0, count: count)
    var index = 0
    while index < count {
        var word = generator.next()
        for _ in 0..<8 where index < count {
            out[index] = UInt8(truncatingIfNeeded: word)
            word >>= 8
            index += 1
        }
    }
    return out
}

func peer(_ seed: UInt8) throws -> PeerID {
    PeerID(identity: try Identity(seed: [seed] + Array(repeating: 0, count: 31)))
}

/// The machines and codecs without sockets.
@Suite struct BlobPlanTests {
    func manifest(of bytes: [UInt8], chunkSize: Int = 64 << 10) throws -> BlobManifest {
        let hashes = stride(from: 0, to: bytes.count, by: chunkSize).map {
            Array(SHA256.hash(data: bytes[$0..<min($0 + chunkSize, bytes.count)]))
        }
        return try BlobManifest(size: bytes.count, chunkSize: chunkSize, chunkHashes: hashes)
    }

    @Test func corruptChunksAreRefusedAndRequeuedForOthers() throws {
        let bytes = randomBytes(300_000, seed: 1)
        let manifest = try manifest(of: bytes)
        var plan = BlobDownloadPlan(manifest: manifest)
        let (good, bad) = (try peer(1), try peer(2))
        let first = plan.next(for: bad)
        #expect(first == .fetch(0))
        var wrong = Array(bytes[manifest.range(of: 0)])
        wrong[0] ^= 1
        let refused = !plan.received(0, wrong, from: bad)
        #expect(refused)
        #expect(plan.suspects == [bad])
        let more = plan.next(for: bad)
        #expect(more == .done)
        var served = 0
        while case .fetch(let index) = plan.next(for: good) {
            let accepted = plan.received(index, Array(bytes[manifest.range(of: index)]), from: good)
            #expect(accepted)
            served += 1
        }
        #expect(plan.isComplete && served == manifest.chunkCount)
    }

    /// The honest source runs out of chunks while the liar still holds some in flight; it is
    /// told to wait, not to stop, so the chunks the liar sends wrong are still fetched.
    @Test func aSourceWithNothingMissingWaitsForChunksInFlightElsewhere() throws {
        let bytes = randomBytes(400_000, seed: 3)
        let manifest = try manifest(of: bytes)
        var plan = BlobDownloadPlan(manifest: manifest)
        let (good, bad) = (try peer(1), try peer(2))
        guard case .fetch(let held) = plan.next(for: bad) else {
            Issue.record("the first source gets a chunk")
            return
        }
        while case .fetch(let index) = plan.next(for: good) {
                let accepted = plan.received(index, Array(bytes[manifest.range(of: index)]), from: good)
            #expect(accepted)
        }
        let waits = plan.next(for: good)
        #expect(waits == .wait, "one chunk is in flight at the other source")
        let refused = !plan.received(held, Array(repeating: 0, count: manifest.range(of: held).count), from: bad)
        #expect(refused)
        let requeued = plan.next(for: good)
        #expect(requeued == .fetch(held), "the refused chunk goes to the waiting source")
        let accepted = plan.received(held, Array(bytes[manifest.range(of: held)]), from: good)
        let finished = plan.next(for: good)
        #expect(accepted && finished == .done && plan.isComplete)
    }

    @Test func resumedChunksAreNotFetchedAgainAndFailuresRequeue() throws {
        let bytes = randomBytes(500_000, seed: 2)
        let manifest = try manifest(of: bytes)
        var plan = BlobDownloadPlan(manifest: manifest, have: [0, 1, 2], maxFailures: 2)
        let source = try peer(3)
        let index = plan.next(for: source)
        #expect(index == .fetch(3))
        plan.failed(3, from: source)
        let retry = plan.next(for: source)
        guard case .fetch(let again) = retry else {
            Issue.record("a source with one failure is still asked")
            return
        }
        plan.failed(again, from: source)
        let exhausted = plan.next(for: source)
        #expect(exhausted == .done, "two failures exhaust the source")
        #expect(plan.remaining == manifest.chunkCount - 3)
    }

    @Test func messagesRoundTripAndBadInputIsRefused() throws {
        let digest = try #require(BlobDigest(bytes: Array(repeating: 9, count: 32)))
        let request = BlobRequest(digest: digest, kind: .chunk, index: 17)
        #expect(try BlobRequest(decoding: request.encoded()) == request)
        let manifest = try manifest(of: randomBytes(200_000, seed: 3))
        #expect(try BlobResponse(decoding: BlobResponse.manifest(manifest).encoded(), expecting: .manifest) == .manifest(manifest))
        #expect(try BlobResponse(decoding: BlobResponse.chunk([1, 2, 3]).encoded(), expecting: .chunk) == .chunk([1, 2, 3]))
        #expect(throws: BlobError.self) { try BlobManifest(size: 1 << 30, chunkSize: 1 << 20, chunkHashes: []) }
        #expect(throws: BlobError.self) { try BlobManifest(size: 10, chunkSize: 1, chunkHashes: []) }
        #expect(throws: BlobError.self) { try BlobManifest(size: 200_000, chunkSize: 64 << 10, chunkHashes: [Array(repeating: 0, count: 32)]) }
        // Seeded mutations of valid messages never crash the decoders.
        var generator = SeededGenerator(seed: 4)
        let samples = [request.encoded(), BlobResponse.manifest(manifest).encoded(), BlobResponse.chunk(Array(repeating: 5, count: 100)).encoded()]
        for _ in 0..<3000 {
            var bytes = samples[Int.random(in: 0..<samples.count, using: &generator)]
            let position = Int.random(in: 0..<bytes.count, using: &generator)
            if Bool.random(using: &generator) { bytes[position] ^= UInt8.random(in: 1...255, using: &generator) } else { bytes.removeLast(bytes.count - position) }
            _ = try? BlobRequest(decoding: bytes)
            _ = try? BlobResponse(decoding: bytes, expecting: .manifest)
            _ = try? BlobResponse(decoding: bytes, expecting: .chunk)
        }
    }

    @Test func storeRangesMatchTheBlob() throws {
        let directory = try TemporaryDirectory()
        let store = try Store(directory: directory.url, migrations: AgoraMigrations.all, views: nil, limits: StoreLimits(blobChunkSize: 64 << 10))
        let bytes = randomBytes(1_000_003, seed: 5)
        let digest = try store.putBlob(bytes)
        var generator = SeededGenerator(seed: 6)
        for _ in 0..<200 {
            let offset = Int.random(in: 0...bytes.count, using: &generator)
            let length = Int.random(in: 0...300_000, using: &generator)
            let range = try #require(try store.blobRange(digest, offset: offset, length: length))
            #expect(range == Array(bytes[offset..<min(bytes.count, offset + length)]))
        }
        #expect(throws: StoreError.self) { try store.blobRange(digest, offset: bytes.count + 1, length: 1) }
    }
}
