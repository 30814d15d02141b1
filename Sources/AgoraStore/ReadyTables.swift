import Foundation

/// The tables of a bulk fold, handed from the threads that sort them to the writer as each is
/// complete, so the writer appends the first while the rest are still sorted: waiting for the
/// whole fold left the second core idle through every append, and the writer idle while the
/// largest table (postings) was sorted alone at the end.
final class ReadyTables: @unchecked Sendable {
    /// Guards `tables` and `outcome`.
    private let condition = NSCondition()
    private var tables: [SortedEntries] = []
    private var outcome: Result<Bool, any Error>?

    func put(_ table: SortedEntries) {
        condition.lock()
        tables.append(table)
        condition.signal()
        condition.unlock()
    }

    /// The fold ended: whether the maintainer has a bulk fold, or what it threw.
    func finish(_ outcome: Result<Bool, any Error>) {
        condition.lock()
        self.outcome = outcome
        condition.broadcast()
        condition.unlock()
    }

    /// Every table ready now, waiting for one; empty once the fold ended and all were taken.
    func take() -> [SortedEntries] {
        condition.lock()
        defer { condition.unlock() }
        while tables.isEmpty, outcome == nil { condition.wait() }
        defer { tables = [] }
        return tables
    }

    /// Waits for the fold to end: whether the maintainer had a bulk fold, or its error.
    func folded() throws -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if let outcome { return try outcome.get() }
            condition.wait()
        }
    }
}
