import AgoraCore
import AgoraMigrations
import AgoraStore
import Foundation
import Testing

/// A command that opens a store whose views must be rebuilt says so on stderr, before and after,
/// and still prints its own output; the next command, with the views current, says nothing.
@Suite struct ViewsRebuildNoticeTests {
    @Test func staleViewsAreRebuiltWithANotice() throws {
        let scratch = try Scratch()
        let agora = scratch.agora
        try agora.ok("init")
        try agora.ok("publish", try scratch.package("one", name: "noticed", version: "1.0.0").path)
        let events: UInt64
        do {
            // Opened without a view maintainer, an append marks the views stale.
            let store = try Store(home: agora.home, migrations: AgoraMigrations.all, views: nil)
            let observer = Identity.generate()
            let body = EventBody.retrievalObserved(RetrievalObserved(
                peer: [1, 2, 3], digest: [UInt8](repeating: 3, count: 32), outcome: .success, bytes: 10, latencyMicros: 5))
            let event = try Event.sign(by: observer, seq: 1, prev: nil, timestamp: 1, body: body)
            let outcomes = try store.append([event], verification: .chain)
            #expect(outcomes.allSatisfy { if case .appended = $0 { true } else { false } })
            #expect(try store.storedViewVersion() == nil)
            events = try store.lastLocalSeq()
        }
        let first = try agora.ok("search", "noticed")
        #expect(first.out.contains("noticed"))
        #expect(first.err.contains("note: rebuilding the views from the log (\(events) events): they are stale"))
        #expect(first.err.contains("note: views rebuilt from \(events) events in "))
        let second = try agora.ok("search", "noticed")
        #expect(second.out.contains("noticed"))
        #expect(!second.err.contains("rebuil"))
    }
}
