/// Byte keys, each with a position, grouped into runs of equal keys in key-byte order: how the
/// views group package events by package, in a rebuild (`RegistryBulkFold`) and in a
/// prepared batch's parts and their merge (`PreparedBatch`).
///
/// The keys go into one arena, each followed by its position (u64 BE), and are sorted by radix
/// (`ChangeOrder`): a comparison sort of one key array per element retained and released both
/// arrays at every comparison and move. With the position as the value, equal keys sort by
/// position, so a run lists its positions ascending and its first is the lowest.
struct KeyRuns {
    private var arena: [UInt8] = []
    private var members: [IndexChanges.Change] = []

    init(capacity: Int) {
        members.reserveCapacity(capacity)
    }

    var count: Int { members.count }

    mutating func add(_ key: some Collection<UInt8>, position: Int) {
        withUnsafeBytes(of: UInt64(position).bigEndian) { value in
            members.append(IndexChanges.change(key: key, value: value, delta: 1, in: &arena))
        }
    }

    /// Calls `body` with each run's key bytes and positions, runs in key-byte order; both are
    /// valid only during the call.
    consuming func forEachRun(_ body: (UnsafeRawBufferPointer, Positions) -> Void) {
        arena.withUnsafeBytes { arena in
            ChangeOrder.sort(&members, arena)
            members.withUnsafeBufferPointer { members in
                var start = 0
                while start < members.count {
                    var end = start + 1
                    while end < members.count, IndexChanges.sameKey(arena, members[end], members[start]) { end += 1 }
                    body(IndexChanges.key(arena, members[start]), Positions(arena: arena, members: UnsafeBufferPointer(rebasing: members[start..<end])))
                    start = end
                }
            }
        }
    }

    /// One run's positions, ascending; never empty.
    struct Positions: RandomAccessCollection {
        fileprivate let arena: UnsafeRawBufferPointer
        fileprivate let members: UnsafeBufferPointer<IndexChanges.Change>

        var startIndex: Int { 0 }
        var endIndex: Int { members.count }

        subscript(index: Int) -> Int {
            Int(truncatingIfNeeded: IndexChanges.value(arena, members[index]).loadUnaligned(as: UInt64.self).bigEndian)
        }
    }
}
