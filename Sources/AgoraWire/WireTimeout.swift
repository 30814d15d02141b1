/// A deadline passed before the operation finished.
public struct WireTimeoutError: Error, Equatable, Sendable, CustomStringConvertible {
    public let operation: String
    public let limit: Duration

    public var description: String { "\(operation): timed out after \(limit)" }
}

/// Runs `body` and gives up after `limit`. The body is cancelled on timeout, so it must
/// react to cancellation or be unblocked by `onTimeout` (for instance by resetting the
/// stream it is reading), otherwise the caller would still wait for it.
public func withWireTimeout<T: Sendable>(
    _ limit: Duration,
    operation: String,
    onTimeout: @escaping @Sendable () -> Void = {},
    _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: limit)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next() else {
            throw WireTimeoutError(operation: operation, limit: limit)
        }
        guard let value = first else {
            onTimeout()
            throw WireTimeoutError(operation: operation, limit: limit)
        }
        return value
    }
}
