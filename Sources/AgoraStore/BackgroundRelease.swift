import Dispatch

/// Frees a fold run's events and preparation on another thread. A run of 20k events is a
/// few hundred thousand objects; freeing them was ~8 % of the writer thread's time in a fold,
/// and the writer thread — the one that holds LMDB's only write transaction — bounds how fast
/// views catch up, while the second core idles between `prepare`s. At most one value waits
/// to be freed (`release` waits for the previous one first), so memory stays bounded by one
/// run beyond the one in hand.
final class BackgroundRelease: Sendable {
    private let group = DispatchGroup()
    private let queue = DispatchQueue(label: "agora.store.release", qos: .utility)

    /// Drops `value` on the release queue; the caller should hold no other reference to it.
    func release(_ value: some Sendable) {
        group.wait()
        queue.async(group: group) { withExtendedLifetime(value) {} }
    }
}
