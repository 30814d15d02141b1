import Dispatch

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

    /// Drops `value` on the release queue. Pass the caller's last reference (`consume x`): the
    /// queue takes the value out of a `Handoff` rather than dropping a copy its closure
    /// captured, since with a copy a caller that released its own reference after the queue had
    /// dropped the copy freed the whole value itself — a fold's writer thread did after most
    /// runs (Benchmarks/README.md, "Views: the fold's writer thread, fewer copies").
    public func release(_ value: consuming some Sendable) {
        group.wait()
        let handoff = Handoff(consume value)
        queue.async(group: group) { _ = handoff.take() }
    }
}
