import Synchronization

/// The fold run size that fits one LMDB transaction in this store, learnt from runs that did
/// not fit (MDB_TXN_FULL: the pages a run dirties grow with the store). A run that overflows
/// is thrown away after all its work and folded in halves; without this memory every later
/// run of the same size overflowed again first (Benchmarks/README.md, "Quiet-machine check,
/// tenth session": `--deferred=100000` at 1M ran 16 transactions for 10 runs). Kept in
/// memory only: a reopened store learns it again with one overflowing run.
final class FoldRunCap: Sendable {
    private let cap = Mutex<(events: Int, bytes: Int)>((.max, .max))

    /// A run of at most `events` and `bytes`, cut to what fitted so far.
    func bounded(events: Int, bytes: Int) -> (events: Int, bytes: Int) {
        cap.withLock { (min(events, $0.events), min(bytes, $0.bytes)) }
    }

    /// A run of `events` and `bytes` did not fit: later runs take at most half of it.
    func overflowed(events: Int, bytes: Int) {
        cap.withLock { $0 = (min($0.events, events / 2), min($0.bytes, bytes / 2)) }
    }
}
