import AgoraCore
import Dispatch
import Synchronization

/// The views' transaction-free work (`ViewMaintainer.preparePart`) on each batch appended with
/// the views deferred, done on another thread as the batch commits: while a writer appends
/// deferred the second core idled, and `foldPendingViews` then prepared the same events on the
/// writer thread (Benchmarks/README.md, "Views: each appended batch prepared as it is
/// appended"). A part is made of its events alone, never of view state, and a fold run takes it
/// only where the run holds exactly its events in a row (matched by event ID, a hash of the
/// event's bytes), so runs read by another handle's appends, after a rebuild, a failed fold
/// or a restart (nothing here survives one) prepare what no part matches themselves.
///
/// Bounded: parts held and being made cover at most `maxEvents` events; a batch past that is
/// not prepared (the parts held are the oldest, the next a fold takes). Parts whose events
/// reached the views otherwise are dropped: by an immediate append or a rebuild (`drop`), by
/// a fold of this handle (`take`); a fold by another process leaves them until this handle
/// folds.
final class AppendedParts: Sendable {
    struct Made: Sendable {
        /// The local seqs of the part's first and last events.
        let first: UInt64
        let last: UInt64
        let ids: [EventID]
        let part: any Sendable
    }

    private struct State {
        var made: [Made] = []
        /// Events in `made` and being made.
        var events = 0
        /// Parts ending at or before this local seq are not kept (`drop`).
        var dropped: UInt64 = 0
    }

    /// Two default fold runs: a fold finds its whole run made while the next run's batches are
    /// appended and made.
    static let maxEvents = 2 * Store.foldRunLimit

    /// As `FoldAhead`'s: a fold waits for the parts being made; at a lower QoS they were made
    /// later and held longer, for no gain the benchmarks could separate (Benchmarks/README.md).
    private let queue = DispatchQueue(label: "agora.store.appended-parts", qos: .userInitiated)
    private let state = Mutex(State())

    /// Makes the part of `events`, appended at local seqs `first`...`last`, on the parts queue.
    func prepare(_ events: [Event], first: UInt64, last: UInt64, _ make: @escaping @Sendable ([Event]) -> (any Sendable)?) {
        let count = events.count
        let fits = state.withLock { state in
            guard state.events + count <= Self.maxEvents else { return false }
            state.events += count
            return true
        }
        guard fits else { return }
        queue.async { [self] in
            let part = make(events)
            state.withLock { state in
                guard let part, last > state.dropped else {
                    state.events -= count
                    return
                }
                state.made.append(Made(first: first, last: last, ids: events.map(\.id), part: part))
            }
        }
    }

    /// Drops the parts of events through local seq `last` (held or being made): the views hold
    /// them. Returns the parts held, for the caller to free off its thread: freeing a catch-up's
    /// parts (up to `maxEvents` events' packages and documents) took a rebuild ~0.15 s on one core.
    func drop(through last: UInt64) -> [Made] {
        state.withLock { state in
            state.dropped = max(state.dropped, last)
            let dropped = state.made.filter { $0.last <= last }
            state.made.removeAll { $0.last <= last }
            state.events -= dropped.reduce(0) { $0 + $1.ids.count }
            return dropped
        }
    }

    /// The parts made of runs of consecutive `events`, by offset in `events` (the fold run of
    /// the log's entries past local seq `start` through `last`), after waiting for the parts
    /// being made. A part is at the offset its first local seq gives when its IDs are the events
    /// there. Every part starting at or before `last` is dropped: the views move past it with
    /// this run, or it never matched.
    func take(_ events: [Event], after start: UInt64, through last: UInt64) -> [Int: any Sendable] {
        queue.sync {}
        let taken = state.withLock { state in
            let taken = state.made.filter { $0.first <= last }
            state.made.removeAll { $0.first <= last }
            state.events -= taken.reduce(0) { $0 + $1.ids.count }
            return taken
        }
        var parts: [Int: any Sendable] = [:]
        for made in taken where made.first > start && made.first - start - 1 < UInt64(events.count) {
            let offset = Int(made.first - start - 1)
            guard made.ids.count <= events.count - offset, made.ids.indices.allSatisfy({ made.ids[$0] == events[offset + $0].id }) else { continue }
            parts[offset] = made.part
        }
        return parts
    }
}
