import Foundation

/// Mutable state shared with a background thread in a test.
public final class LockedBox<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    public init(_ value: Value) {
        self.value = value
    }

    public var current: Value { lock.withLock { value } }

    public func set(_ newValue: Value) {
        lock.withLock { value = newValue }
    }
}
