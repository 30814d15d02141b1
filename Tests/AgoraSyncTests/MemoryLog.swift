import AgoraCore
import AgoraSync
import AgoraWire
import Synchronization

/// A log in memory with the store's append rules (feed order, hash chain, every signature
/// checked), serving and receiving sync in the pure simulations.
final class MemoryLog: SyncLogSource, Sendable {
    struct State {
        var log: [Event] = []
        var feeds: [PublicKey: [Event]] = [:]
    }

    let state = Mutex(State())

    init(_ events: [Event] = []) {
        _ = append(events)
    }

    var events: [Event] { state.withLock { $0.log } }

    @discardableResult
    func append(_ events: [Event]) -> SyncAppendReport {
        state.withLock { state in
            var report = SyncAppendReport()
            for event in events {
                let feed = state.feeds[event.author] ?? []
                if event.seq <= UInt64(feed.count) {
                    if feed[Int(event.seq) - 1] == event { report.duplicates += 1 } else { report.rejected += 1 }
                    continue
                }
                guard event.verifySignature() else {
                    if report.forged == nil { report.forged = (event.author, event.seq) }
                    continue
                }
                guard event.seq == UInt64(feed.count) + 1, event.prev == feed.last?.id else {
                    report.rejected += 1
                    continue
                }
                state.feeds[event.author, default: []].append(event)
                state.log.append(event)
                report.appended += 1
            }
            return report
        }
    }

    func changes(
        after: UInt64, upTo: UInt64, maxEvents: Int, maxBytes: Int, held: [PublicKey: UInt64]
    ) throws -> (events: [[UInt8]], through: UInt64, latest: UInt64, held: [HeldRun]) {
        state.withLock { state in
            let latest = UInt64(state.log.count)
            guard after < upTo, after < latest else { return ([], min(upTo, max(after, latest)), latest, []) }
            var out: [Event] = []
            var spans: [PublicKey: (first: UInt64, last: UInt64)] = [:]
            var bytes = 0
            var seq = after + 1
            var through = min(upTo, latest)
            while seq <= min(upTo, latest) {
                let event = state.log[Int(seq - 1)]
                if let claim = held[event.author], event.seq <= claim {
                    spans[event.author] = (spans[event.author]?.first ?? event.seq, event.seq)
                    seq += 1
                    continue
                }
                guard out.count < maxEvents, out.isEmpty || bytes + event.bytes.count <= maxBytes else {
                    through = seq - 1
                    break
                }
                out.append(event)
                bytes += event.bytes.count
                seq += 1
            }
            let runs = spans.sorted { $0.key < $1.key }.map { author, span in
                HeldRun(author: author, first: span.first, last: span.last, lastID: state.feeds[author]![Int(span.last) - 1].id)
            }
            return (out.map(\.bytes), through, latest, runs)
        }
    }

    func heads(after: PublicKey?, maxCount: Int, maxBytes: Int) throws -> (events: [Event], more: Bool) {
        state.withLock { state in
            let keys = state.feeds.keys.sorted().filter { after == nil || $0 > after! }
            let page = keys.prefix(maxCount).compactMap { state.feeds[$0]?.last }
            return (page, keys.count > maxCount)
        }
    }

    func feedRange(author: PublicKey, from: UInt64, to: UInt64, maxEvents: Int, maxBytes: Int) throws -> [Event] {
        state.withLock { state in
            let feed = state.feeds[author] ?? []
            guard from >= 1, from <= UInt64(feed.count) else { return [] }
            return Array(feed[Int(from - 1)..<Int(min(to, UInt64(feed.count)))].prefix(maxEvents))
        }
    }

    func holdings(maxCount: Int) throws -> [HeldFeed] {
        state.withLock { state in
            state.feeds.map { HeldFeed(author: $0.key, seq: UInt64($0.value.count)) }.sorted { $0.seq > $1.seq }.prefix(maxCount).map { $0 }
        }
    }

    func holds(_ runs: [HeldRun]) throws -> [Bool] {
        state.withLock { state in
            runs.map { run in
                guard let feed = state.feeds[run.author], run.last >= 1, run.last <= UInt64(feed.count) else { return false }
                return feed[Int(run.last) - 1].id == run.lastID
            }
        }
    }

    func headSeqs(of authors: [PublicKey]) throws -> [PublicKey: UInt64] {
        state.withLock { state in
            var out: [PublicKey: UInt64] = [:]
            for author in authors { if let feed = state.feeds[author] { out[author] = UInt64(feed.count) } }
            return out
        }
    }
}
