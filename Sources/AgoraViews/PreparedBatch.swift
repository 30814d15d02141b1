import AgoraCore
import AgoraStore
import Foundation

/// What `RegistryViews.prepare` makes of a batch outside the write transaction, on every core:
/// each event's body, and for each release the state, record and search document its package
/// gets when that release is the package's whole event set and its author is its own principal
/// (the common case of a catch-up: a package first seen in the batch), with every such
/// document's index entries recorded and sorted (`search`). `ViewBatch` checks those
/// assumptions in the transaction and folds the package itself wherever one fails, taking the
/// unused documents' entries out of `search` again, so the views never depend on whether or
/// when a batch was prepared. Classes, so handing them around copies no fields.
final class PreparedBatch: Sendable {
    final class FirstRelease: Sendable {
        let event: EventID
        let state: PackageState
        let record: [UInt8]
        let document: SearchDocument?
        /// The document's ID, read here: the writer thread reading it from `document` copied the document.
        let docID: UInt64?
        /// The document's index entries, each added once to `search`.
        let entries: DocumentEntries?

        init(event: EventID, state: PackageState, record: [UInt8], document: SearchDocument?, entries: DocumentEntries?) {
            self.event = event
            self.state = state
            self.record = record
            self.document = document
            docID = document?.docID
            self.entries = entries
        }
    }

    /// The events' IDs, bodies, packages and first releases, in input order: the transaction
    /// finds an event's by position (`positions(of:)`), so no dictionary keyed by event ID is
    /// built or probed per event on either side.
    private let ids: [EventID]
    private let bodies: [EventBody?]
    private let packages: [PackageKeyBytes?]
    private let firsts: [FirstRelease?]
    /// Every first release's document entries, added and presorted, in `SearchIndexWriter`'s layout.
    let search: IndexChanges
    /// Every release's and yank's entry in the package event sets, presorted, for a batch
    /// applied with exactly the prepared events (`covers`).
    let packageEvents: IndexChanges
    /// The positions whose first releases' documents `search` holds, once per position (an
    /// event given twice is added twice, and withdrawn wherever its position goes unused).
    let documented: [Int]
    /// Each (scope, author)'s first release among the events, for a batch applied with exactly
    /// the prepared events (`covers`): reduced per range on every core, so the writer thread
    /// hashes no pair per event.
    let firstReleases: FirstReleases
    /// The events' packages sorted by their bytes, each once, and each event's place among them
    /// (-1: no package), for a batch applied with exactly the prepared events (`covers`): the
    /// writer thread then records each event's package by its place, hashing no key, and
    /// re-folds the packages in this order without sorting them (the hashes and the sort were
    /// 8 % of the instructions of a deferred fold's write transaction). Each part sorts its
    /// own; they are merged here. Equal bytes are equal `PackageKey`s, so the order is the
    /// writer's own bookkeeping's.
    let distinctPackages: [PackageKeyBytes]
    let packageSlots: [Int32]

    /// Consecutive events of a batch, prepared on one core: with its documents' entries
    /// recorded there too, the writer thread only concatenates the parts' arenas (recording
    /// them one by one on the calling thread was a sixth of its share of `prepare`). Made of
    /// the events alone, never of view state, so a part made for a batch as it was appended
    /// (`RegistryViews.preparePart`) serves any later fold run holding those events.
    struct Part: Sendable {
        fileprivate var bodies: [EventBody?] = []
        fileprivate var packages: [PackageKeyBytes?] = []
        fileprivate var firsts: [FirstRelease?] = []
        fileprivate var search: IndexChanges
        fileprivate var packageEvents: IndexChanges
        /// Offsets, from the part's first event, of the first releases `search` documents.
        fileprivate var documented: [Int] = []
        /// By offset from the part's first event.
        fileprivate var firstReleases = FirstReleases()
        /// The part's packages sorted by bytes, each once, and each event's place among them
        /// (-1: none).
        fileprivate var distinct: [PackageKeyBytes] = []
        fileprivate var slots: [Int32] = []

        /// Events prepared.
        var count: Int { bodies.count }

        init(_ events: [Event], _ range: Range<Int>, databases: RegistryDatabases) {
            search = SearchIndexWriter.changes(databases)
            packageEvents = ViewBatch.packageEventChanges(databases)
            bodies.reserveCapacity(range.count)
            packages.reserveCapacity(range.count)
            firsts.reserveCapacity(range.count)
            var firstReleases = FirstReleases()
            for index in range {
                let event = events[index]
                let body = try? event.decodedBody()
                let package = ViewBatch.packageKey(of: body).map(PackageKeyBytes.init)
                if let package { packageEvents.add(0, key: package.bytes, value: event.id.bytes) }
                var first: FirstRelease?
                if case .releasePublished(let release)? = body, let package {
                    let state = ViewBatch.firstReleaseState(package.key, event, release, principal: event.author)
                    let document = SearchDocument(state: state)
                    let entries = document.map(DocumentEntries.init)
                    first = FirstRelease(event: event.id, state: state, record: state.encoded(), document: document, entries: entries)
                    if let entries {
                        entries.replay(into: &search, delta: 1)
                        documented.append(index - range.lowerBound)
                    }
                    firstReleases.add(index, of: events, scope: package.key.scope)
                }
                bodies.append(body)
                packages.append(package)
                firsts.append(first)
            }
            self.firstReleases = firstReleases.shifted(by: -range.lowerBound)
            (distinct, slots) = PreparedBatch.distinct(packages)
        }
    }

    convenience init(_ events: [Event], databases: RegistryDatabases) {
        self.init(events, reusing: [:], databases: databases)
    }

    /// `events` prepared, with `made[offset]` (when it holds as many events) taken as the part
    /// starting at `offset`; the rest is prepared here, in ranges on every core.
    init(_ events: [Event], reusing made: [Int: Part], databases: RegistryDatabases) {
        var pieces: [(range: Range<Int>, part: Part?)] = []
        // Several ranges per core, so a core slowed by other load does not hold up the rest.
        let rangeSize = events.count < ParallelMap.minimumCount ? max(1, events.count)
            : max(1, events.count / (4 * ProcessInfo.processInfo.activeProcessorCount))
        var start = 0
        for (offset, part) in made.sorted(by: { $0.key < $1.key })
        where offset >= start && part.count > 0 && part.count <= events.count - offset {
            pieces += Self.ranges(start..<offset, size: rangeSize).map { ($0, nil) }
            pieces.append((offset..<offset + part.count, part))
            start = offset + part.count
        }
        pieces += Self.ranges(start..<events.count, size: rangeSize).map { ($0, nil) }
        let parts = ParallelMap.map(pieces, minimumCount: 2) { piece in piece.part ?? Part(events, piece.range, databases: databases) }
        var search = SearchIndexWriter.changes(databases)
        var packageEvents = ViewBatch.packageEventChanges(databases)
        search.append(contentsOf: parts.map(\.search))
        packageEvents.append(contentsOf: parts.map(\.packageEvents))
        IndexChanges.presort(&search, &packageEvents)
        self.search = search
        self.packageEvents = packageEvents
        ids = events.map(\.id)
        bodies = parts.flatMap(\.bodies)
        packages = parts.flatMap(\.packages)
        firsts = parts.flatMap(\.firsts)
        documented = zip(pieces, parts).flatMap { piece, part in part.documented.map { $0 + piece.range.lowerBound } }
        var firstReleases = FirstReleases()
        for (piece, part) in zip(pieces, parts) { firstReleases.merge(part.firstReleases, offset: piece.range.lowerBound, of: events) }
        self.firstReleases = firstReleases
        (distinctPackages, packageSlots) = Self.mergeDistinct(parts)
    }

    /// `packages` sorted by bytes, each once (the first of equals kept), and each one's place
    /// among them (-1: none).
    private static func distinct(_ packages: [PackageKeyBytes?]) -> ([PackageKeyBytes], [Int32]) {
        var keys = KeyRuns(capacity: packages.count)
        for (position, package) in packages.enumerated() {
            if let package { keys.add(package.bytes, position: position) }
        }
        var distinct: [PackageKeyBytes] = []
        var slots = [Int32](repeating: -1, count: packages.count)
        keys.forEachRun { _, positions in
            guard let package = packages[positions[0]] else { return }
            for position in positions { slots[position] = Int32(distinct.count) }
            distinct.append(package)
        }
        return (distinct, slots)
    }

    /// The parts' sorted packages merged, each once (the lowest part's first of equals kept),
    /// and each event's place among them. The parts' runs are already sorted, so they are
    /// merged head by head rather than sorted again (re-sorting them by radix cost the writer
    /// thread 15 % more here); each head's 8-byte prefix is kept, so most steps compare integers.
    private static func mergeDistinct(_ parts: [Part]) -> ([PackageKeyBytes], [Int32]) {
        var next = [Int](repeating: 0, count: parts.count)
        var heads = parts.map { headPrefix($0.distinct, 0) }
        var places = parts.map { [Int32](repeating: -1, count: $0.distinct.count) }
        var distinct: [PackageKeyBytes] = []
        distinct.reserveCapacity(parts.reduce(0) { $0 + $1.distinct.count })
        while true {
            var lowest = -1
            for part in parts.indices where next[part] < parts[part].distinct.count {
                if lowest < 0 || heads[part] < heads[lowest]
                    || (heads[part] == heads[lowest]
                        && ByteOrder.compare(parts[part].distinct[next[part]].bytes, parts[lowest].distinct[next[lowest]].bytes) < 0) {
                    lowest = part
                }
            }
            if lowest < 0 { break }
            // Earlier parts holding the same key would have been chosen: equals are at `lowest` or later.
            let package = parts[lowest].distinct[next[lowest]], prefix = heads[lowest]
            for part in lowest..<parts.count where next[part] < parts[part].distinct.count && heads[part] == prefix {
                guard part == lowest || parts[part].distinct[next[part]].bytes == package.bytes else { continue }
                places[part][next[part]] = Int32(distinct.count)
                next[part] += 1
                heads[part] = headPrefix(parts[part].distinct, next[part])
            }
            distinct.append(package)
        }
        var slots: [Int32] = []
        slots.reserveCapacity(parts.reduce(0) { $0 + $1.slots.count })
        for (part, places) in zip(parts, places) {
            slots.append(contentsOf: part.slots.lazy.map { $0 < 0 ? -1 : places[Int($0)] })
        }
        return (distinct, slots)
    }

    /// The prefix of `packages[index]`'s bytes (`ByteOrder.prefix`), 0 past the end.
    private static func headPrefix(_ packages: [PackageKeyBytes], _ index: Int) -> UInt64 {
        guard index < packages.count else { return 0 }
        return packages[index].bytes.withUnsafeBytes { ByteOrder.prefix($0, start: 0, count: $0.count) }
    }

    /// `range` cut into ranges of at most `size` events.
    private static func ranges(_ range: Range<Int>, size: Int) -> [Range<Int>] {
        stride(from: range.lowerBound, to: range.upperBound, by: size).map { $0..<min($0 + size, range.upperBound) }
    }

    /// Events prepared (positions run over `0..<count`).
    var count: Int { ids.count }

    /// Each event's position in the prepared batch (nil: not prepared). Events given in the
    /// prepared order — a fold run, or an append that refused nothing — match position by
    /// position (equal IDs share their bytes, so each check is a pointer comparison); the
    /// others are looked up.
    func positions(of events: [Event]) -> [Int?] {
        var byID: [EventID: Int]?
        var next = 0
        return events.map { event in
            if next < ids.count, ids[next] == event.id {
                next += 1
                return next - 1
            }
            if byID == nil {
                var index: [EventID: Int] = [:]
                for (position, id) in ids.enumerated().reversed() { index[id] = position }
                byID = index
            }
            let position = byID?[event.id]
            if let position { next = position + 1 }
            return position
        }
    }

    /// Whether `positions` are the prepared events themselves, in order.
    func covers(_ positions: [Int?]) -> Bool {
        positions.count == ids.count && positions.indices.allSatisfy { positions[$0] == $0 }
    }

    /// The bodies of `events` (at `positions(of: events)`): the prepared array itself when
    /// the events are the prepared ones in order, else each looked up or decoded here.
    func bodies(of events: [Event], at positions: [Int?]) -> [EventBody?] {
        if covers(positions) { return bodies }
        return zip(events, positions).map { event, position in position.map { bodies[$0] } ?? (try? event.decodedBody()) }
    }

    /// The package each of `bodies` (at `positions`) names, like `bodies(of:at:)`.
    func packages(of bodies: [EventBody?], at positions: [Int?]) -> [PackageKeyBytes?] {
        if covers(positions) { return packages }
        return zip(bodies, positions).map { body, position in
            position.map { packages[$0] } ?? ViewBatch.packageKey(of: body).map(PackageKeyBytes.init)
        }
    }

    /// The package state of the release at `position` as its package's only event, its author its principal.
    func firstRelease(at position: Int) -> FirstRelease? {
        firsts[position]
    }

    /// The entries of the first release at `position`, which `search` holds (`documented`).
    func entries(at position: Int) -> DocumentEntries? {
        firsts[position]?.entries
    }
}
