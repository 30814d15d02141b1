import AgoraSync
import Testing

@Suite struct LogWatcherTests {
    /// A wait ends when the log grows past it, when its timeout passes, or when its task is
    /// cancelled; a wait on a log already beyond returns at once. Nothing here depends on speed:
    /// the timeouts that must not fire are an hour long.
    @Test func waitsEndOnGrowthTimeoutAndCancellation() async throws {
        let watcher = LogWatcher(latest: 5)
        await watcher.wait(beyond: 4, timeout: .seconds(3600))

        let grown = Task { await watcher.wait(beyond: 5, timeout: .seconds(3600)) }
        let unrelated = Task { await watcher.wait(beyond: 9, timeout: .seconds(3600)) }
        await watcher.advance(to: 7)
        await grown.value
        unrelated.cancel()
        await unrelated.value

        await watcher.wait(beyond: 7, timeout: .milliseconds(1))
        await watcher.advance(to: 3)
        #expect(await watcher.latest == 7, "the watcher never moves back")
    }

    /// Closing releases the waiters it has and every later wait: a stopping node must not hold
    /// its host's shutdown on a peer's long-poll.
    @Test func closeReleasesWaitersNowAndLater() async throws {
        let watcher = LogWatcher(latest: 5)
        let waiting = (0..<3).map { _ in Task { await watcher.wait(beyond: 5, timeout: .seconds(3600)) } }
        await watcher.close()
        for task in waiting { await task.value }
        await watcher.wait(beyond: 5, timeout: .seconds(3600))
        #expect(await watcher.latest == 5)
    }
}
