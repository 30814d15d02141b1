import Dispatch
import Synchronization

/// Frees a fold run's events and preparation, or a rebuild's folded packages and bodies, on
/// another thread. A run of 20k events is a few hundred thousand objects; freeing them was
/// ~8 % of the writer thread's time in a fold (~0.1 s per 10⁵ packages in a rebuild), and the
/// writer thread — the one that holds LMDB's only write transaction — bounds how fast views
/// catch up, while the second core idles between `prepare`s. At most one value waits to be
/// freed (`release` waits for the previous one first), so memory stays bounded by one value
/// beyond the one in hand.
public final class BackgroundRelease: Sendable {
    private let group = DispatchGroup()
    private let queue = DispatchQueue(label: "agora.store.release", qos: .utility)

    public init() {}

    /// Drops `value` on the release queue; the caller should hold no other reference to it
    /// (pass a local with `consume`). The queue takes the value out of a slot rather than
    /// dropping a copy the closure captured: with a copy, a caller that released its own
    /// reference after the queue had dropped the copy freed the whole value itself, which a
    /// fold's writer thread did after most runs (Benchmarks/README.md, "Views: the fold's
    /// writer thread, fewer copies").
    public func release<Value: Sendable>(_ value: consuming Value) {
        group.wait()
        let slot = Slot(value)
        queue.async(group: group) { slot.empty() }
    }

    private final class Slot<Value: Sendable>: Sendable {
        private let value: Mutex<Value?>

        init(_ value: consuming Value) {
            self.value = Mutex(value)
        }

        func empty() {
            value.withLock { $0 = nil }
        }
    }
}
