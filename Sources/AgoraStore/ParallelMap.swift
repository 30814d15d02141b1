import Dispatch
import Foundation

/// Runs a pure transform over an array on every core: the writer thread holds the only write
/// transaction, but decoding the log for a rebuild, and what a re-fold derives from a package's state alone (record bytes, search
/// document) needs no transaction, and on a 2-core node the second core is otherwise idle
/// while one writer applies a batch.
public enum ParallelMap {
    /// Below this many elements the threads cost more than they save.
    public static let minimumCount = 64

    /// `transform` of each element, in input order. Deterministic: each output slot is
    /// written by exactly one call, whatever the threads' interleaving.
    /// `minimumCount`: fewer elements run on the calling thread (lower it for a few large ones).
    /// `eachAlone`: every element is its own chunk, taken in input order — for a few unequal
    /// ones put largest first, so no chunk holds two of the largest while a core idles.
    /// Inlinable so callers in other modules get it specialised: unspecialised, every element
    /// and result was copied through value witnesses (a rebuild's largest runtime cost after
    /// retain/release).
    @inlinable
    public static func map<T: Sendable, U: Sendable>(
        _ input: [T], minimumCount: Int = minimumCount, eachAlone: Bool = false, _ transform: @escaping @Sendable (T) -> U
    ) -> [U] {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        guard input.count >= minimumCount, cores > 1 else { return input.map(transform) }
        // Several chunks per core, so a core slowed by other load does not hold up the rest.
        let chunks = eachAlone ? input.count : min(input.count, cores * 4)
        return [U](unsafeUninitializedCapacity: input.count) { buffer, initialized in
            let slots = Slots(base: buffer.baseAddress!)
            DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                let range = (input.count * chunk / chunks)..<(input.count * (chunk + 1) / chunks)
                for index in range { (slots.base + index).initialize(to: transform(input[index])) }
            }
            initialized = input.count
        }
    }

    /// The output buffer, shared by the chunks: each writes only its own disjoint index range,
    /// and `concurrentPerform` returns only after all of them finished.
    @usableFromInline
    struct Slots<U>: @unchecked Sendable {
        @usableFromInline let base: UnsafeMutablePointer<U>

        @inlinable init(base: UnsafeMutablePointer<U>) { self.base = base }
    }
}
