import AgoraCore
import AgoraStore
import Testing
@testable import AgoraNode

/// The mirror's fetch queue, driven by a clock the test owns.
@Suite struct MirrorQueueTests {
    static func digest(_ byte: UInt8) -> BlobDigest { BlobDigest(bytes: [UInt8](repeating: byte, count: 32))! }

    @Test func handsOutEachDigestOnceInOrderAndBacksOffFailures() {
        let start = ContinuousClock.now
        var queue = MirrorQueue(capacity: 8, maxBackoff: .seconds(8))
        for byte in UInt8(1)...3 { queue.add(Self.digest(byte), now: start) }
        queue.add(Self.digest(1), now: start)
        #expect(queue.count == 3, "a digest already queued is not added twice")
        #expect(queue.next(now: start) == Self.digest(1))
        #expect(queue.next(now: start) == Self.digest(2))
        queue.finished(Self.digest(1), succeeded: true, now: start)
        queue.finished(Self.digest(2), succeeded: false, now: start)
        #expect(queue.next(now: start) == Self.digest(3))
        #expect(queue.next(now: start) == nil, "2 waits for its backoff, 3 is in flight")
        #expect(queue.nextDue == start + .seconds(1))
        // Failures double the wait up to the cap: 1, 2, 4, 8, 8 s.
        var now = start
        for expected in [1, 2, 4, 8, 8] {
            #expect(queue.next(now: now + .seconds(expected) - .milliseconds(1)) == nil)
            now += .seconds(expected)
            #expect(queue.next(now: now) == Self.digest(2))
            queue.finished(Self.digest(2), succeeded: false, now: now)
        }
        #expect(queue.count == 2)
    }

    /// Seeded random operations: the queue never exceeds its capacity, never hands out a
    /// digest twice at once, and forgets exactly the digests that succeeded.
    @Test(arguments: [UInt64(1), 2, 3, 4]) func boundedAndConsistentUnderRandomOperations(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        var queue = MirrorQueue(capacity: 16, maxBackoff: .seconds(4))
        var now = ContinuousClock.now
        var inFlight: Set<BlobDigest> = []
        var done: Set<BlobDigest> = []
        for _ in 0..<2000 {
            switch random.next() % 4 {
            case 0:
                let digest = Self.digest(UInt8(random.next() % 40))
                if !done.contains(digest) { queue.add(digest, now: now) }
            case 1:
                if let digest = queue.next(now: now) {
                    #expect(inFlight.insert(digest).inserted)
                }
            case 2:
                if let digest = inFlight.randomElement(using: &random) {
                    inFlight.remove(digest)
                    let succeeded = random.next() % 2 == 0
                    queue.finished(digest, succeeded: succeeded, now: now)
                    if succeeded { done.insert(digest) }
                }
            default:
                now += .milliseconds(Int64(random.next() % 3000))
            }
            #expect(queue.count <= 16)
            #expect(done.allSatisfy { queue.entries[$0] == nil })
        }
    }
}
