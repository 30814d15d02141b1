import AgoraCore
import AgoraMigrations
import AgoraStore
import AgoraViews
import Foundation
import Testing

/// `agora status` reports events the views have not folded yet (appended deferred, as a node
/// does with peers' batches), and a publish folds them first.
@Suite struct ViewsLagStatusTests {
    @Test func statusShowsTheLagAndAPublishFoldsIt() throws {
        let scratch = try Scratch()
        let agora = scratch.agora
        try agora.ok("init")
        do {
            let store = try Store(home: agora.home, migrations: AgoraMigrations.all, views: RegistryViews())
            let observer = Identity.generate()
            var events: [Event] = []
            for seq in UInt64(1)...3 {
                let body = EventBody.retrievalObserved(RetrievalObserved(
                    peer: [1, 2, UInt8(seq)], digest: [UInt8](repeating: 3, count: 32), outcome: .success, bytes: 10, latencyMicros: 5))
                events.append(try Event.sign(by: observer, seq: seq, prev: events.last?.id, timestamp: seq, body: body))
            }
            let outcomes = try store.append(events, verification: .chain, views: .deferred)
            #expect(outcomes.allSatisfy { if case .appended = $0 { true } else { false } })
        }
        let report = try #require(agora.json("status") as? [String: Any])
        #expect(report["views_lag"] as? Int == 3)
        #expect(try agora.ok("status").out.contains("3 events behind the log"))
        try agora.ok("publish", try scratch.package("one", name: "folded", version: "1.0.0").path)
        let after = try #require(agora.json("status") as? [String: Any])
        #expect(after["views_lag"] as? Int == 0)
        #expect(try agora.ok("status").out.contains("views:    current"))
        #expect(try agora.ok("verify").status == 0)
    }
}
