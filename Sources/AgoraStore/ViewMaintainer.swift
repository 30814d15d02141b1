import AgoraCore

/// Keeps the view databases up to date: the store calls it inside the very write
/// transaction that appends events, so views and log never disagree after a commit.
///
/// Implementations must make the view databases a function of the event *set*: the same
/// events appended in any order, in any batching, must leave byte-identical views (the store
/// checks this with `verifyViews`, which refolds the log into a scratch store).
public protocol ViewMaintainer: Sendable {
    /// Bump whenever the fold or a record format changes: a store whose views were built by
    /// another version rebuilds them from the log when opened.
    var viewVersion: UInt32 { get }

    /// `events` are the ones this transaction newly appended, in local order (duplicates and
    /// rejected events are not passed). They are already readable through `databases`.
    func apply(_ events: [Event], in txn: WriteTransaction, databases: StoreDatabases) throws
}
