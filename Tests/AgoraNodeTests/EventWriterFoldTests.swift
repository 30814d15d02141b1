import AgoraCore
import AgoraMigrations
@testable import AgoraNode
import AgoraStore
import AgoraSync
import AgoraTestSupport
import AgoraViews
import AgoraWire
import Testing

/// When the node's writer folds what peers' batches left pending in the views.
@Suite struct EventWriterFoldTests {
    /// Gossip that never pauses for `idleFoldDelay` does not keep a catch-up's backlog out of
    /// the views: only catch-up batches postpone the idle fold. When every network append
    /// postponed it, a fresh node under steady gossip kept its views empty until the lag
    /// reached `Store.bulkRebuildLimit` (2M events), and a node with views until 20k.
    @Test(arguments: [false, true]) func gossipDoesNotKeepTheBacklogOutOfTheViews(viewsHoldEvents: Bool) async throws {
        let folder = try TemporaryDirectory()
        let store = try Store(home: folder.url, migrations: AgoraMigrations.all, views: RegistryViews())
        var local = FeedBuilder(seed: 60)
        if viewsHoldEvents { _ = try store.append([local.publish("local", "first", "1.0.0")], verification: .chain) }
        let writer = EventWriter(store: store, watcher: LogWatcher(latest: try store.lastLocalSeq()))
        let before = try store.viewProgress().folded
        let peer = PeerID(identity: .generate())
        var mirrored = FeedBuilder(seed: 61)
        let backlog = (0..<200).map { mirrored.publish("mirrored", "p\($0)", "1.0.0") }
        // Appended with the views deferred (a catch-up's batch); the idle fold may run at any
        // time from 50 ms on, so nothing is read between this and the gossip.
        _ = try await writer.appendFromNetwork(backlog, from: peer)
        // One gossip event every ~10 ms or more, 60 times: the writer's queue runs the idle
        // fold in its turn among them, once 50 ms have passed.
        var gossip = FeedBuilder(seed: 62)
        for index in 0..<60 {
            _ = try await writer.appendFromNetwork([gossip.publish("news", "g\(index)", "1.0.0")], from: peer)
            try await Task.sleep(for: .milliseconds(10))
        }
        let during = try store.viewProgress()
        #expect(during.folded >= before + 200, "the backlog is folded while gossip goes on: \(during)")
        try await writer.foldViews()
        #expect(try store.viewProgress().lag == 0)
        let comparison = try store.verifyViews()
        #expect(comparison.equal, "\(comparison.mismatch?.description ?? "")")
    }
}
