import AgoraCore

/// Each (scope, author)'s release of lowest (seq, event ID) among a batch's events, by position:
/// the only one of an author's releases a scope fold can pick. Reduced per range in
/// `PreparedBatch` (on every core) and merged in range order, or event by event in
/// `ViewBatch`; both keep the first of equal releases, so either gives the same table.
struct FirstReleases: Sendable {
    struct ScopeAuthor: Hashable, Sendable {
        let scope: String
        let author: PublicKey
    }

    private(set) var positions: [ScopeAuthor: Int] = [:]

    /// Keeps the release at `index` of `events` when it precedes the one kept for its pair.
    mutating func add(_ index: Int, of events: [Event], scope: String) {
        let key = ScopeAuthor(scope: scope, author: events[index].author)
        if let kept = positions[key], !Self.precedes(index, kept, in: events) { return }
        positions[key] = index
    }

    /// Adds `other`'s releases, which come after this table's in the batch, each `offset` further on.
    mutating func merge(_ other: FirstReleases, offset: Int, of events: [Event]) {
        for (key, index) in other.positions {
            let position = index + offset
            if let kept = positions[key], !Self.precedes(position, kept, in: events) { continue }
            positions[key] = position
        }
    }

    /// The same releases, each `offset` further on.
    func shifted(by offset: Int) -> FirstReleases {
        var shifted = self
        shifted.positions = positions.mapValues { $0 + offset }
        return shifted
    }

    /// Whether the event at `lhs` has the lower (seq, event ID): the order `scopeAuthors` values
    /// sort in. Read in place: copying the two events out retained each one's five arrays.
    private static func precedes(_ lhs: Int, _ rhs: Int, in events: [Event]) -> Bool {
        events[lhs].seq != events[rhs].seq ? events[lhs].seq < events[rhs].seq
            : events[lhs].id.bytes.lexicographicallyPrecedes(events[rhs].id.bytes)
    }
}
