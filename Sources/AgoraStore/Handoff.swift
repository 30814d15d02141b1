/// A value passed to another thread as its only owner: whoever takes it frees it. A closure
/// that captured the value itself would keep it until the closure is destroyed, on whichever
/// thread drops the closure last (a `Thread`'s block lives as long as the `Thread` object).
public final class Handoff<Value: Sendable>: @unchecked Sendable {
    /// Set at creation and taken once, by the thread the creator handed this to (the handing
    /// over — `Thread.start`, `DispatchQueue.async` — orders the two).
    private var value: Value?

    public init(_ value: consuming Value) {
        self.value = value
    }

    public func take() -> Value? {
        value.take()
    }
}
