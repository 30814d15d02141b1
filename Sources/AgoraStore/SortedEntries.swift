/// The whole content of one view database, sorted by key then value, for a rebuild that writes
/// it with `MDB_APPEND` into the emptied database: no tree search per entry, and every leaf
/// page filled before the next is started.
public struct SortedEntries: Sendable {
    /// Key bytes at `arena[start...]`, the value's right after them.
    public struct Entry: Sendable {
        public var start: Int
        public var keyCount: Int32
        public var valueCount: Int32

        public init(start: Int, keyCount: Int32, valueCount: Int32) {
            self.start = start
            self.keyCount = keyCount
            self.valueCount = valueCount
        }
    }

    public let database: Database
    public let arena: [UInt8]
    /// Strictly increasing by (key, value); one value per key unless `database` is duplicate-sorted.
    public let entries: [Entry]

    public init(database: Database, arena: [UInt8], entries: [Entry]) {
        self.database = database
        self.arena = arena
        self.entries = entries
    }

    /// The number of key and value bytes, what a write transaction's dirty pages grow with.
    func bytes(_ entry: Entry) -> Int { Int(entry.keyCount) + Int(entry.valueCount) }
}
