/// A condition a test waited for did not come about.
public struct EventuallyTimedOut: Error, CustomStringConvertible {
    public let what: String
    public let limit: Duration
    public var description: String { "timed out after \(limit) waiting until \(what)" }
}

/// Polls `condition` until it holds, throwing once `limit` passes. Tests wait for what other
/// tasks, nodes or processes make true this way instead of sleeping a guessed time; the
/// default limit is long so that only a really broken run reaches it on a loaded CI machine.
public func eventually(
    _ what: String, within limit: Duration = .seconds(60), _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + limit
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(20))
    }
    if try await condition() { return }
    throw EventuallyTimedOut(what: what, limit: limit)
}
