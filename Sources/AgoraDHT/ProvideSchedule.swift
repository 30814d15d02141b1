/// The keys this node announces and when each is next due: a provider record lives 48 h on
/// the servers that hold it, so we announce again after 22 h, well before any copy expires.
public struct ProvideSchedule<Key: Hashable & Sendable>: Sendable {
    public let republishInterval: Duration
    /// In the order keys were added, so the announcements go out in a repeatable order.
    private var entries: [(key: Key, due: Duration)] = []

    public init(republishInterval: Duration = .seconds(22 * 3600)) {
        self.republishInterval = republishInterval
    }

    /// Starts announcing `key`, first at `due`.
    public mutating func add(_ key: Key, due: Duration) {
        remove(key)
        entries.append((key, due))
    }

    public mutating func remove(_ key: Key) {
        entries.removeAll { $0.key == key }
    }

    /// The keys due now, each rescheduled one interval later.
    public mutating func takeDue(now: Duration) -> [Key] {
        var due: [Key] = []
        for index in entries.indices where entries[index].due <= now {
            due.append(entries[index].key)
            entries[index].due = now + republishInterval
        }
        return due
    }

    /// When the next announcement is due, if any key is announced.
    public var nextDeadline: Duration? { entries.map(\.due).min() }

    public var keys: [Key] { entries.map(\.key) }
}
