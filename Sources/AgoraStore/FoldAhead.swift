import AgoraCore
import Dispatch
import Synchronization

/// One fold run read from the log and prepared outside any write transaction.
struct FoldRun: Sendable {
    /// Where the run starts: the views' position it was read past.
    let start: UInt64
    let limit: Int
    let maxBytes: Int
    let events: [Event]
    /// The local seq of the run's last event (nil: nothing was pending).
    let last: UInt64?
    /// The log's end in the snapshot the run was read in.
    let logEnd: UInt64
    let prepared: (any Sendable)?

    /// Whether this run is what reading (`start`, `limit`, `maxBytes`) now, with the log ending
    /// at `logEnd`, would give: the log only grows, so a run that stopped before its snapshot's
    /// end (at `limit` or `maxBytes`) stays the same; one that reached the end only while the
    /// log has not grown since.
    func matches(start: UInt64, limit: Int, maxBytes: Int, logEnd: UInt64) -> Bool {
        self.start == start && self.limit == limit && self.maxBytes == maxBytes
            && ((last ?? start) < self.logEnd || self.logEnd == logEnd)
    }
}

/// The next fold run, read and prepared on another thread while the writer thread applies the
/// current one in its write transaction: preparing (decoding, first releases, their index
/// changes) needs no transaction and was ~40 % of the writer thread in a fold, so in a
/// catch-up with several runs pending the two alternated where they can overlap. At most one
/// run is prepared ahead; it holds only a copy of log entries, never view state, so it is
/// valid for any fold that starts where it starts (`FoldRun.matches`) and the views'
/// position still commits with the views in the transaction that applies it.
final class FoldAhead: Sendable {
    private final class Pending: Sendable {
        let start: UInt64
        let limit: Int
        let maxBytes: Int
        private let done = DispatchGroup()
        private let result = Mutex<FoldRun?>(nil)

        init(start: UInt64, limit: Int, maxBytes: Int) {
            (self.start, self.limit, self.maxBytes) = (start, limit, maxBytes)
            done.enter()
        }

        func finish(_ run: FoldRun?) {
            result.withLock { $0 = run }
            done.leave()
        }

        func wait() -> FoldRun? {
            done.wait()
            return result.withLock { run in
                defer { run = nil }
                return run
            }
        }
    }

    private let queue = DispatchQueue(label: "agora.store.fold-ahead", qos: .userInitiated)
    private let pending = Mutex<Pending?>(nil)

    /// Starts reading and preparing the run past `start` on the fold-ahead queue, in place of
    /// any run prepared ahead before (dropped there once made, so at most one waits here).
    func prepare(start: UInt64, limit: Int, maxBytes: Int, _ make: @escaping @Sendable () -> FoldRun?) {
        let next = Pending(start: start, limit: limit, maxBytes: maxBytes)
        pending.withLock { $0 = next }
        queue.async { next.finish(make()) }
    }

    /// The run prepared ahead for a fold past `start` (waiting for it when it is still being
    /// made), if it is what reading that fold's run now would give; nil otherwise. Either way
    /// nothing stays prepared ahead.
    func take(start: UInt64, limit: Int, maxBytes: Int, logEnd: UInt64) -> FoldRun? {
        guard let next = pending.withLock({ slot in
            defer { slot = nil }
            return slot
        }), next.start == start, next.limit == limit, next.maxBytes == maxBytes else { return nil }
        guard let run = next.wait(), run.matches(start: start, limit: limit, maxBytes: maxBytes, logEnd: logEnd) else { return nil }
        return run
    }
}
