import AgoraStore
import Foundation

/// The index entries one batch adds and removes, written when the batch ends: sorted by key, so
/// each tree is walked once in order, with an entry both removed and added (a package whose
/// new document shares most terms with its old one) written not at all, and the new values of
/// one key in a DUPFIXED database put in one `MDB_MULTIPLE` call.
///
/// The bytes of every change of a database go into one arena and each change is a plain
/// record of offsets into it: sorting 10⁴–10⁵ changes then moves small values and compares
/// bytes in place, instead of retaining and releasing two arrays per comparison (which made the
/// sort the largest single cost of a batch).
struct IndexChanges {
    /// Key bytes at `arena[start...]`, the value's right after them.
    struct Change {
        /// The key's first 8 bytes, big-endian, zero-padded: most comparisons end here.
        var prefix: UInt64
        var start: Int
        var keyCount: Int32
        var valueCount: Int32
        /// Positive adds the pair, negative removes it.
        var delta: Int32
    }

    private struct Pending {
        var arena: [UInt8] = []
        var changes: [Change] = []
        /// `changes[..<sorted]` are sorted and netted already (`presort`).
        var sorted = 0
    }

    private var pending: [Pending]
    let databases: [Database]

    init(_ databases: [Database]) {
        self.databases = databases
        pending = Array(repeating: Pending(), count: databases.count)
    }

    mutating func add(_ database: Int, key: some Collection<UInt8>, value: some Collection<UInt8>) {
        record(database, key: key, value: value, delta: 1)
    }

    mutating func remove(_ database: Int, key: some Collection<UInt8>, value: some Collection<UInt8>) {
        record(database, key: key, value: value, delta: -1)
    }

    /// Adds (`delta` 1) or removes (−1) one pair.
    mutating func record(_ database: Int, key: some Collection<UInt8>, value: some Collection<UInt8>, delta: Int32) {
        Self.record(key: key, value: value, delta: delta, into: &pending[database])
    }

    /// One access to the database's batch (three through `pending[database]` each checked the
    /// outer array's bounds and uniqueness again: a third of recording a change).
    private static func record(key: some Collection<UInt8>, value: some Collection<UInt8>, delta: Int32, into batch: inout Pending) {
        batch.changes.append(change(key: key, value: value, delta: delta, in: &batch.arena))
    }

    /// A change of `key` and `value`, their bytes appended to `arena`.
    static func change(key: some Collection<UInt8>, value: some Collection<UInt8>, delta: Int32, in arena: inout [UInt8]) -> Change {
        let start = arena.count
        arena.append(contentsOf: key)
        let keyEnd = arena.count
        arena.append(contentsOf: value)
        // Read back from the arena: contiguous, where `key` may be a lazy view.
        let prefix = arena.withUnsafeBytes { ByteOrder.prefix($0, start: start, count: keyEnd - start) }
        return Change(prefix: prefix, start: start, keyCount: Int32(keyEnd - start), valueCount: Int32(arena.count - keyEnd), delta: delta)
    }

    /// Takes over `others`' changes, recorded over the same databases (e.g. on other cores).
    mutating func append(contentsOf others: [IndexChanges]) {
        for index in pending.indices {
            pending[index] = Self.joined([pending[index]] + others.map { $0.pending[index] })
        }
    }

    /// Writes every change and forgets them.
    mutating func write(_ txn: WriteTransaction) throws {
        for (index, db) in databases.enumerated() where !pending[index].changes.isEmpty {
            let batch = pending[index]
            pending[index] = Pending()
            try batch.arena.withUnsafeBytes { arena in
                try Self.write(Self.net(batch.changes, arena, sorted: batch.sorted), arena, to: db, txn)
            }
        }
    }

    /// Sorts and nets what was recorded so far in both, every database on its own core, so
    /// that `write` sorts only what is recorded after and merges the two: a prepared batch
    /// does the bulk of its sorting outside the write transaction. Both at once, so a small
    /// one (the package event sets) is not sorted alone on the calling thread after the other.
    static func presort(_ first: inout IndexChanges, _ second: inout IndexChanges) {
        let sorted = presorted(first.pending + second.pending)
        first.adoptPresorted(sorted[..<first.pending.count])
        second.adoptPresorted(sorted[first.pending.count...])
    }

    private static func presorted(_ pending: [Pending]) -> [[Change]] {
        ParallelMap.map(pending, minimumCount: 2) { batch in
            batch.arena.withUnsafeBytes { arena in Self.net(batch.changes, arena, sorted: batch.sorted) }
        }
    }

    private mutating func adoptPresorted(_ sorted: ArraySlice<[Change]>) {
        for (index, changes) in zip(pending.indices, sorted) {
            pending[index].changes = changes
            pending[index].sorted = changes.count
        }
    }

    /// Changes a table holds at most before it is cut into key ranges (`sortedEntries`), and
    /// the most ranges it is cut into.
    static let sortedPartSize = 1 << 17
    static let maxKeyRanges = 16

    /// Every pair added in each group's parts (changes over the same databases, e.g. recorded
    /// on several cores), netted and sorted, for a bulk load into empty databases (removals
    /// have nothing to remove there and are dropped): each database's table in group order, a
    /// table of more than `partSize` changes as several, by key range, in key order. Each is
    /// also handed to `ready` as soon as it is sorted (on the thread that sorted it; one
    /// database's in key order).
    ///
    /// All of it runs on every core, largest table first, so the longest sort (postings) does
    /// not start last and leave the other core idle: joining the parts' arenas, sorting, and
    /// copying each table's bytes into key order. The writer then reads its arena front to
    /// back; in recording order, each entry's first byte was a cache miss on the one thread
    /// that holds the write transaction. A large table is sorted a key range at a time, so the
    /// writer appends the first ranges while the rest are sorted: sorted whole, postings was
    /// appended alone after every sort had ended, the other core idle.
    static func sortedEntries(
        _ groups: consuming [[IndexChanges]], partSize: Int = sortedPartSize, ready: @escaping @Sendable (SortedEntries) -> Void = { _ in }
    ) -> [SortedEntries] {
        sorted(groups, partSize: partSize, keeping: true, ready: ready)
    }

    /// `sortedEntries`, each table only handed to `ready` and not kept here: the writer frees a
    /// table once it is appended, where keeping them all for the return held every sorted
    /// byte of a rebuild until its last table was sorted.
    static func handSorted(_ groups: consuming [[IndexChanges]], partSize: Int = sortedPartSize, to ready: @escaping @Sendable (SortedEntries) -> Void) {
        _ = sorted(groups, partSize: partSize, keeping: false, ready: ready)
    }

    private static func sorted(
        _ groups: consuming [[IndexChanges]], partSize: Int, keeping: Bool, ready: @escaping @Sendable (SortedEntries) -> Void
    ) -> [SortedEntries] {
        // Each database's parts are moved out of the groups into a handoff its job takes, so a
        // job's parts are freed as soon as they are joined, not when the last table is sorted.
        var jobs: [(database: Database, batches: Handoff<[Pending]>, size: Int)] = []
        for group in groups.indices {
            for index in (groups[group].first?.databases ?? []).indices {
                var batches: [Pending] = []
                for part in groups[group].indices {
                    batches.append(groups[group][part].pending[index])
                    groups[group][part].pending[index] = Pending()
                }
                let size = batches.reduce(0) { $0 + $1.changes.count }
                jobs.append((groups[group][0].databases[index], Handoff(batches), size))
            }
        }
        _ = consume groups
        let order = jobs.indices.sorted { jobs[$0].size > jobs[$1].size }
        let tables = ParallelMap.map(order.map { jobs[$0] }, minimumCount: 2, eachAlone: true) { job in
            var parts = keyRanges(joined(job.batches.take() ?? []), partSize: partSize)
            var kept: [SortedEntries] = []
            for index in parts.indices {
                let part = parts[index]
                parts[index] = Pending()
                let table = sortedTable(job.database, part)
                ready(table)
                if keeping { kept.append(table) }
            }
            return kept
        }
        var byDatabase = tables
        for (position, index) in order.enumerated() { byDatabase[index] = tables[position] }
        return byDatabase.flatMap { $0 }
    }

    /// `batch` cut into parts of about `partSize` changes by key range, in key order: by the
    /// 8-byte prefix (prefix order is key order where prefixes differ, and equal pairs share
    /// their prefix, so each part nets alone), at quantiles of a sample of the prefixes. Parts
    /// share the arena; each keeps its changes in the batch's order, so the sorted prefix of
    /// the batch is a sorted prefix of each part.
    private static func keyRanges(_ batch: consuming Pending, partSize: Int) -> [Pending] {
        let count = batch.changes.count
        guard count > max(1, partSize) else { return [batch] }
        let parts = min(maxKeyRanges, (count + partSize - 1) / partSize)
        let step = max(1, count / (parts * 64))
        let sample = stride(from: 0, to: count, by: step).map { batch.changes[$0].prefix }.sorted()
        var bounds: [UInt64] = []
        for part in 1..<parts {
            let bound = sample[sample.count * part / parts]
            if bound != bounds.last, bound != sample[0] { bounds.append(bound) }
        }
        guard !bounds.isEmpty else { return [batch] }
        var ranges = Array(repeating: Pending(), count: bounds.count + 1)
        for index in ranges.indices {
            ranges[index].arena = batch.arena
            ranges[index].changes.reserveCapacity(count / ranges.count + count / 16)
        }
        for (position, change) in batch.changes.enumerated() {
            // The first bound above the prefix.
            var (range, above) = (0, bounds.count)
            while range < above {
                let middle = (range + above) / 2
                if bounds[middle] <= change.prefix { range = middle + 1 } else { above = middle }
            }
            ranges[range].changes.append(change)
            if position < batch.sorted { ranges[range].sorted += 1 }
        }
        return ranges
    }

    /// One batch holding `batches`' changes, their offsets moved into the joined arena; room
    /// is made first (growing by doubling copied, and page-faulted, the arenas several times).
    private static func joined(_ batches: [Pending]) -> Pending {
        if batches.count == 1 { return batches[0] }
        // The first batch's changes keep their offsets, so its sorted prefix stays sorted.
        var joined = Pending()
        joined.sorted = batches.first?.sorted ?? 0
        joined.arena.reserveCapacity(batches.reduce(0) { $0 + $1.arena.count })
        joined.changes.reserveCapacity(batches.reduce(0) { $0 + $1.changes.count })
        for batch in batches where !batch.changes.isEmpty {
            let shift = joined.arena.count
            joined.arena.append(contentsOf: batch.arena)
            joined.changes.append(contentsOf: batch.changes.lazy.map { change in
                var moved = change
                moved.start += shift
                return moved
            })
        }
        return joined
    }

    /// The batch's added pairs in key order, their bytes copied into a new arena in that order
    /// (kept as it is when recording order was key order already). The changes are taken from
    /// `batch` and sorted, netted and filtered in place: each copy of postings' changes was
    /// ~27 MB of fresh memory at 10⁵ packages, a page fault per 4 KiB.
    private static func sortedTable(_ database: Database, _ batch: consuming Pending) -> SortedEntries {
        let changes = batch.changes
        batch.changes = []
        return batch.arena.withUnsafeBytes { arena in
            var added = net(consume changes, arena, sorted: batch.sorted)
            added.removeAll { $0.delta <= 0 }
            if zip(added, added.dropFirst()).allSatisfy({ $0.start < $1.start }) {
                return SortedEntries(database: database, arena: batch.arena, entries: added.map(entry))
            }
            var entries: [SortedEntries.Entry] = []
            entries.reserveCapacity(added.count)
            let total = added.reduce(0) { $0 + Int($1.keyCount) + Int($1.valueCount) }
            let ordered = [UInt8](unsafeUninitializedCapacity: total) { buffer, initialized in
                let target = UnsafeMutableRawBufferPointer(buffer)
                for change in added {
                    let count = Int(change.keyCount) + Int(change.valueCount)
                    let source = UnsafeRawBufferPointer(rebasing: arena[change.start..<(change.start + count)])
                    UnsafeMutableRawBufferPointer(rebasing: target[initialized..<(initialized + count)]).copyMemory(from: source)
                    entries.append(SortedEntries.Entry(start: initialized, keyCount: change.keyCount, valueCount: change.valueCount))
                    initialized += count
                }
            }
            return SortedEntries(database: database, arena: ordered, entries: entries)
        }
    }

    private static func entry(_ change: Change) -> SortedEntries.Entry {
        SortedEntries.Entry(start: change.start, keyCount: change.keyCount, valueCount: change.valueCount)
    }

    /// Sums the deltas of each (key, value) pair, dropping pairs that come to zero. Sorted by
    /// key, then value. `changes[..<presorted]` are sorted already: only the rest is sorted,
    /// then merged with them.
    private static func net(_ changes: consuming [Change], _ arena: UnsafeRawBufferPointer, sorted presorted: Int = 0) -> [Change] {
        // Nothing recorded since `presort`: sorted and netted already.
        if presorted == changes.count { return changes }
        var sorted: [Change]
        if presorted == 0 {
            // Sorted in place when the caller handed over its only reference.
            sorted = consume changes
            ChangeOrder.sort(&sorted, arena)
        } else {
            var tail = Array(changes[presorted...])
            ChangeOrder.sort(&tail, arena)
            sorted = []
            sorted.reserveCapacity(changes.count)
            var (left, right) = (0, 0)
            while left < presorted || right < tail.count {
                if right == tail.count || (left < presorted && compare(arena, changes[left], tail[right]) <= 0) {
                    sorted.append(changes[left])
                    left += 1
                } else {
                    sorted.append(tail[right])
                    right += 1
                }
            }
        }
        // Netted in place: equal pairs are neighbours, each run summed into its first slot.
        var kept = 0
        for index in sorted.indices {
            if kept > 0, compare(arena, sorted[kept - 1], sorted[index]) == 0 {
                sorted[kept - 1].delta += sorted[index].delta
            } else {
                sorted[kept] = sorted[index]
                kept += 1
            }
        }
        sorted.removeSubrange(kept...)
        sorted.removeAll { $0.delta == 0 }
        return sorted
    }

    static func key(_ arena: UnsafeRawBufferPointer, _ change: Change) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: arena[change.start..<(change.start + Int(change.keyCount))])
    }

    static func value(_ arena: UnsafeRawBufferPointer, _ change: Change) -> UnsafeRawBufferPointer {
        let start = change.start + Int(change.keyCount)
        return UnsafeRawBufferPointer(rebasing: arena[start..<(start + Int(change.valueCount))])
    }

    /// By key, then value, in byte order as LMDB compares keys: negative, zero or positive.
    static func compare(_ arena: UnsafeRawBufferPointer, _ lhs: Change, _ rhs: Change) -> Int {
        // Zero padding keeps prefix order consistent with key order when the prefixes differ.
        if lhs.prefix != rhs.prefix { return lhs.prefix < rhs.prefix ? -1 : 1 }
        // Equal prefixes of keys up to 8 bytes: the keys differ at most in length (padding
        // against real zero bytes), and the shorter is then a prefix of the longer.
        let byKey = lhs.keyCount <= 8 && rhs.keyCount <= 8
            ? Int(lhs.keyCount) - Int(rhs.keyCount) : ByteOrder.compare(key(arena, lhs), key(arena, rhs))
        return byKey != 0 ? byKey : ByteOrder.compare(value(arena, lhs), value(arena, rhs))
    }

    /// Decided by the prefixes and lengths alone for keys up to 8 bytes (most tokens, every
    /// document ID): comparing every put with its run's first byte by byte was 6 % of the
    /// deferred fold's writer-thread time (perf).
    static func sameKey(_ arena: UnsafeRawBufferPointer, _ lhs: Change, _ rhs: Change) -> Bool {
        guard lhs.prefix == rhs.prefix, lhs.keyCount == rhs.keyCount else { return false }
        if lhs.keyCount <= 8 { return true }
        let count = Int(lhs.keyCount)
        return ByteOrder.compare(
            UnsafeRawBufferPointer(rebasing: arena[(lhs.start + 8)..<(lhs.start + count)]),
            UnsafeRawBufferPointer(rebasing: arena[(rhs.start + 8)..<(rhs.start + count)])) == 0
    }

    /// `changes` is consumed: its puts are filtered in place (a filtered copy was a fresh
    /// array of every put, page-faulted in on the writer thread).
    private static func write(_ changes: consuming [Change], _ arena: UnsafeRawBufferPointer, to db: Database, _ txn: WriteTransaction) throws {
        let duplicates = db.spec.flags.contains(.duplicateSort)
        for (index, change) in changes.enumerated() where change.delta < 0 {
            if duplicates {
                try txn.delete(db, key: key(arena, change), value: value(arena, change))
                continue
            }
            // Changes are sorted by key: a put of the same key is a neighbour.
            var replaced = false
            for other in [index - 1, index + 1] where changes.indices.contains(other) {
                if changes[other].delta > 0 && sameKey(arena, changes[other], change) { replaced = true }
            }
            if !replaced { try txn.delete(db, key: key(arena, change)) }
        }
        var kept = consume changes
        kept.removeAll { $0.delta <= 0 }
        let puts = kept
        guard db.spec.flags.contains(.duplicateFixed) else {
            for change in puts { try txn.put(db, key: key(arena, change), value: value(arena, change)) }
            return
        }
        try txn.withCursor(db) { cursor in
            var run: [UInt8] = []
            var start = 0
            while start < puts.count {
                var end = start + 1
                let size = puts[start].valueCount
                while end < puts.count, puts[end].valueCount == size, sameKey(arena, puts[end], puts[start]) { end += 1 }
                if end - start == 1 {
                    try cursor.put(key: key(arena, puts[start]), value: value(arena, puts[start]))
                } else {
                    run.removeAll(keepingCapacity: true)
                    for change in puts[start..<end] { run.append(contentsOf: value(arena, change)) }
                    try cursor.putRun(key: key(arena, puts[start]), values: run, valueSize: Int(size))
                }
                start = end
            }
        }
    }
}
