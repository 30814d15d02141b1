import AgoraCore
import Foundation
import AgoraTestSupport
import Testing
@testable import AgoraStore

@Suite(.serialized) struct StoreConcurrencyTests {
    /// A second process holds LMDB's write lock: our readers carry on, our writer waits for
    /// it, and both writes land.
    @Test(.enabled(if: ForeignWriter.available, "needs python3 and liblmdb.so.0"))
    func writersInTwoProcessesAreSerialised() throws {
        let directory = try TemporaryDirectory()
        let store = try openStore(directory)
        var alice = FeedBuilder(seed: 1)
        alice.publish("acme", "tool", "1.0.0")
        alice.publish("acme", "tool", "1.1.0")
        _ = try store.append([alice.events[0]], verification: .chain)

        let foreign = try ForeignWriter(
            path: store.environment.path, database: "pins", key: "foreign", mode: "hold", mapSize: store.environment.mapSize)
        #expect(foreign.line() == "locked")
        #expect(try store.pinnedKey(for: "foreign") == nil, "a reader sees only committed data and does not wait")
        #expect(try store.head(of: alice.key)?.seq == 1)

        let finished = LockedBox(false)
        let outcome = LockedBox<[AppendOutcome]>([])
        let done = DispatchSemaphore(value: 0)
        let event = alice.events[1]
        Thread.detachNewThread {
            outcome.set((try? store.append([event], verification: .chain)) ?? [])
            finished.set(true)
            done.signal()
        }
        Thread.sleep(forTimeInterval: 0.3)
        #expect(!finished.current, "our append must wait for the other process's write transaction")
        foreign.proceed()
        #expect(foreign.line() == "committed")
        #expect(done.wait(timeout: .now() + 30) == .success)
        #expect(outcome.current == [.appended(localSeq: 2)])
        #expect(try store.read { try $0.get(store.databases.pins, key: Array("foreign".utf8)) } == Array("foreign".utf8))
        #expect(try store.verify(deep: true).ok)
    }

    /// A process killed inside a write transaction: nothing of it is visible, the lock is
    /// recovered, the store reopens and verifies, and every committed append is there.
    @Test(.enabled(if: ForeignWriter.available, "needs python3 and liblmdb.so.0"))
    func processKilledMidWriteLosesNothingCommitted() throws {
        let directory = try TemporaryDirectory()
        var alice = FeedBuilder(seed: 1)
        for index in 0..<6 { alice.publish("acme", "tool", "1.\(index).0") }
        do {
            let store = try openStore(directory)
            _ = try store.append(Array(alice.events[0..<3]), verification: .chain)
            let foreign = try ForeignWriter(
                path: store.environment.path, database: "log", key: "torn-write", mode: "die", mapSize: store.environment.mapSize)
            #expect(foreign.line() == "locked")
            foreign.killHard()
            #expect(!foreign.isRunning)
            let outcomes = try store.append(Array(alice.events[3..<5]), verification: .chain)
            #expect(outcomes == [.appended(localSeq: 4), .appended(localSeq: 5)])
        }
        let reopened = try openStore(directory)
        let report = try reopened.verify(deep: true)
        #expect(report.ok && report.events == 5)
        #expect(try reopened.verifyViews().equal)
        #expect(try reopened.append([alice.events[5]], verification: .chain) == [.appended(localSeq: 6)])
    }
}
