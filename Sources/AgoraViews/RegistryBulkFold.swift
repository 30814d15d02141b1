import AgoraCore
import Foundation
import AgoraStore

/// The registry views of a prefix of the log, folded in memory for a rebuild into empty
/// databases (`ViewMaintainer.bulkFold`).
///
/// `RegistryViews.apply` keeps each view a function of the event set, re-folding whatever an
/// event touches from the sets stored so far; here every set is complete from the start, so
/// each package, scope and popularity record is folded exactly once, with the same pure folds,
/// from the same sets. Packages fold on every core; nothing is read back from the store.
struct RegistryBulkFold {
    private static let releases = 0, packageEvents = 1, principals = 2, scopes = 3, scores = 4
    private static let scopeEvents = 5, scopeAuthors = 6, rotations = 7, peerEvents = 8, retrievalCounts = 9, popularity = 10
    private static let transfersTo = 11

    /// Taken out and freed (`finish`) once nothing reads it, before the tables are sorted.
    private var events: [Event]
    private var bookkeeping: IndexChanges
    /// Each package's set, in key-byte order.
    private var packages: [Package] = []
    /// Indices into `events`, per set.
    private var transfers: [String: [Int]] = [:]
    private var rotations: [PublicKey: [Int]] = [:]
    /// Per scope, each author's lowest-seq release into it: (seq, index).
    private var firstReleases: [String: [PublicKey: (seq: UInt64, index: Int)]] = [:]
    private var scoreRecords: [[UInt8]: PeerScore] = [:]
    private var retrievalSlots: [[UInt8]: UInt64] = [:]

    /// Empty changes over every registry database but the search index's, in the order of the
    /// constants above.
    private static func bookkeeping(_ databases: RegistryDatabases) -> IndexChanges {
        IndexChanges([
            databases.releases, databases.packageEvents, databases.principals, databases.scopes, databases.scores,
            databases.scopeEvents, databases.scopeAuthors, databases.rotations, databases.peerEvents,
            databases.retrievalCounts, databases.popularity, databases.transfersTo,
        ])
    }

    private init(events: consuming [Event], databases: RegistryDatabases) {
        self.events = events
        bookkeeping = Self.bookkeeping(databases)
    }

    /// Every registry view database's content for `events`, sorted for `MDB_APPEND`: returned,
    /// or with `ready`, each table handed to it as soon as it is sorted and not kept (the
    /// return is then empty). Pass the only reference to `events`: they are freed before the
    /// tables are sorted.
    static func fold(
        _ events: consuming [Event], databases: RegistryDatabases, partSize: Int = IndexChanges.sortedPartSize,
        ready: (@Sendable (SortedEntries) -> Void)? = nil
    ) -> [SortedEntries] {
        var fold = RegistryBulkFold(events: consume events, databases: databases)
        let decoded = ParallelMap.map(fold.events) { Decoded($0) }
        var members = KeyRuns(capacity: decoded.count)
        for (index, item) in decoded.enumerated() {
            if let package = item.package {
                members.add(package.bytes, position: index)
            } else if let body = item.body {
                fold.record(index, body)
            }
        }
        fold.group(members, decoded)
        return fold.finish(decoded: consume decoded, databases: databases, partSize: partSize, ready: ready)
    }

    /// An event's body (nil: undecodable) and, for a release or a yank, the package whose set
    /// it joins: made on every core, so the one thread that gathers the sets only sorts.
    private struct Decoded: Sendable {
        let body: EventBody?
        let package: PackageKeyBytes?

        init(_ event: borrowing Event) {
            body = try? event.decodedBody()
            package = ViewBatch.packageKey(of: body).map(PackageKeyBytes.init)
        }
    }

    /// A package's key, its key bytes and the indices of its events, ascending.
    private struct Package: Sendable {
        let bytes: [UInt8]
        let key: PackageKey
        var indices: [Int]
    }

    /// Frees the folded packages and decoded bodies off the thread that holds the write
    /// transaction next.
    private static let backgroundRelease = BackgroundRelease()

    // MARK: Sets

    /// Groups the package events into their sets, in key-byte order (equal keys are equal
    /// packages: a scope holds no `/`), and keeps each (scope, author)'s lowest (seq, index)
    /// release. A radix sort of key bytes made on every core (`Decoded`), not a table keyed by
    /// `PackageKey` built here: making and hashing both strings of each event's key on this one
    /// thread, with the table growing, left the other core idle for ~0.3 s of a 2.2 s profiled
    /// rebuild of 100k events.
    private mutating func group(_ members: consuming KeyRuns, _ decoded: [Decoded]) {
        packages.reserveCapacity(members.count)
        var firsts = ScopeFirstReleases()
        members.forEachRun { bytes, indices in
            guard let key = decoded[indices[0]].package?.key else { return }
            // A scope's packages are adjacent (keys are `scope/name`); one met again would merge.
            if firsts.scope != key.scope {
                if let done = firsts.finish() { keepFirstReleases(done.authors, scope: done.scope) }
                firsts.scope = key.scope
            }
            var package = Package(bytes: Array(bytes), key: key, indices: [])
            package.indices.reserveCapacity(indices.count)
            for index in indices {
                package.indices.append(index)
                guard case .releasePublished? = decoded[index].body else { continue }
                firsts.keep(author: events[index].author, seq: events[index].seq, index: index)
            }
            packages.append(package)
        }
        if let done = firsts.finish() { keepFirstReleases(done.authors, scope: done.scope) }
    }

    /// One scope's authors' first releases while its packages pass: the last author met is
    /// compared in place (a scope's releases are mostly one author's), the table hashed only
    /// when the author changes.
    private struct ScopeFirstReleases {
        var scope: String?
        private var authors: [PublicKey: (seq: UInt64, index: Int)] = [:]
        private var last: (author: PublicKey, seq: UInt64, index: Int)?

        mutating func keep(author: PublicKey, seq: UInt64, index: Int) {
            if let kept = last, kept.author == author {
                if (seq, index) < (kept.seq, kept.index) { last = (author, seq, index) }
                return
            }
            flushLast()
            last = (author, seq, index)
        }

        /// The scope and its authors' first releases, and empties this for the next scope.
        mutating func finish() -> (scope: String, authors: [PublicKey: (seq: UInt64, index: Int)])? {
            flushLast()
            defer { (scope, authors) = (nil, [:]) }
            return scope.map { ($0, authors) }
        }

        private mutating func flushLast() {
            guard let kept = last else { return }
            last = nil
            if let stored = authors[kept.author], (stored.seq, stored.index) < (kept.seq, kept.index) { return }
            authors[kept.author] = (kept.seq, kept.index)
        }
    }

    /// Merges a scope's first releases into `firstReleases`, lowest (seq, index) kept.
    private mutating func keepFirstReleases(_ authors: [PublicKey: (seq: UInt64, index: Int)], scope: String) {
        firstReleases[scope, default: [:]].merge(authors) { kept, new in (new.seq, new.index) < (kept.seq, kept.index) ? new : kept }
    }

    /// Records an event that joins no package's set (`group` takes those).
    private mutating func record(_ index: Int, _ body: EventBody) {
        switch body {
        case .releasePublished, .releaseYanked:
            return
        case .scopeTransferred(let transfer):
            guard let scope = RegistryViews.scope(transfer.scope) else { return }
            bookkeeping.add(Self.scopeEvents, key: scope.utf8, value: events[index].id.bytes)
            bookkeeping.add(Self.transfersTo, key: transfer.newOwner.bytes, value: scope.utf8)
            transfers[scope, default: []].append(index)
        case .keyRotated:
            bookkeeping.add(Self.rotations, key: events[index].author.bytes, value: events[index].id.bytes)
            rotations[events[index].author, default: []].append(index)
        case .retrievalObserved, .peerPenalised:
            guard let peer = PeerScoreFold.peer(of: body), !peer.isEmpty, peer.count <= PeerScore.maxPeerLength else { return }
            let empty = PeerScore(peer: peer, reporter: events[index].author.bytes)
            bookkeeping.add(Self.peerEvents, key: empty.key, value: events[index].id.bytes)
            scoreRecords[empty.key, default: empty].apply(body, at: events[index].timestamp)
        case .retrievalsCounted(let summary):
            for entry in summary.counts {
                guard let key = RegistryViews.packageKey(counted: entry.package) else { continue }
                var slot = BigEndian.bytes(SearchDocument.docID(for: key))
                slot.append(contentsOf: events[index].author.bytes)
                BigEndian.append(summary.period, to: &slot)
                let count = min(entry.count, PackagePopularity.capPerPeriod)
                if let stored = retrievalSlots[slot], stored >= count { continue }
                retrievalSlots[slot] = count
            }
        case .equivocationReported, .unknown:
            return
        }
    }

    // MARK: Folds

    /// The tables, sorted once the events, their bodies and the folded packages are freed: a
    /// sort's input, its joined copy and its output are a rebuild's peak of memory, and these
    /// would sit under it unused.
    private consuming func finish(
        decoded: consuming [Decoded], databases: RegistryDatabases, partSize: Int, ready: (@Sendable (SortedEntries) -> Void)?
    ) -> [SortedEntries] {
        let roots = principalRoots()
        for (key, root) in roots { bookkeeping.add(Self.principals, key: key.bytes, value: root.bytes) }
        for (scope, authors) in firstReleases {
            for (author, first) in authors {
                var key = Array(scope.utf8)
                key.append(0)
                key.append(contentsOf: author.bytes)
                var value = BigEndian.bytes(first.seq)
                value.append(contentsOf: events[first.index].id.bytes)
                bookkeeping.add(Self.scopeAuthors, key: key, value: value)
            }
        }
        for (key, score) in scoreRecords { bookkeeping.add(Self.scores, key: key, value: score.encoded()) }

        let counted = Set(retrievalSlots.keys.map { slot in slot.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) } })
        let packages = foldPackages(decoded: decoded, roots: roots, counted: counted)
        // A document ID two packages hash to belongs to the smaller key, as `SearchIndexWriter`
        // decides; packages come sorted, so the first one met keeps it.
        var owners: [UInt64: Int] = [:]
        var indexed = [Bool](repeating: false, count: packages.count)
        for position in packages.indices {
            guard let docID = packages[position].docID, owners[docID] == nil else { continue }
            owners[docID] = position
            indexed[position] = true
        }
        // Popularity first: each document's postings carry its record's bucket.
        let buckets = foldPopularity { docID in owners[docID].flatMap { packages[$0].ownKeys } ?? [] }
        let recorded = recordPackages(packages, indexed: indexed, buckets: buckets, databases: databases)
        foldScopes(roots: roots)
        // This fold's own references are dropped too (the events here, the bookkeeping once it
        // is in the groups), so the release and the sort's jobs hold the only ones.
        let read = events
        events = []
        Self.backgroundRelease.release((consume packages, consume decoded, consume read))
        let groups = [[bookkeeping] + recorded.map(\.0), [SearchIndexWriter.changes(databases)] + recorded.map(\.1)]
        _ = consume recorded
        bookkeeping = Self.bookkeeping(databases)
        guard let ready else { return IndexChanges.sortedEntries(consume groups, partSize: partSize) }
        IndexChanges.handSorted(consume groups, partSize: partSize, to: ready)
        return []
    }

    /// Each rotated-to key's root, as `ViewBatch.refoldPrincipals` stores them.
    private func principalRoots() -> [PublicKey: PublicKey] {
        let map = PrincipalMap(events: rotations.values.flatMap { $0.map { events[$0] } })
        var roots: [PublicKey: PublicKey] = [:]
        for key in map.predecessor.keys { roots[key] = map.principal(of: key) }
        return roots
    }

    /// The rotations in the feeds of the authors of `indices`' events.
    private func rotationEvents(ofAuthorsOf indices: [Int]) -> [Event] {
        Set(indices.map { events[$0].author }).flatMap { (rotations[$0] ?? []).map { events[$0] } }
    }

    /// A package's key bytes, the indices of its events and what it folds to; the state itself
    /// is dropped on the core that folded it (only the keys popularity leaves out are kept, and
    /// only for counted documents), and the fields are read in place, not as one copied tuple.
    private struct FoldedPackage: Sendable {
        var key: [UInt8]
        var indices: [Int]
        /// The `releases` record; nil when no release of the package is among the events.
        var record: [UInt8]?
        var document: SearchDocument?
        var docID: UInt64?
        /// `ViewBatch.ownKeys` of the state, for a document with retrieval counts.
        var ownKeys: Set<PublicKey>?
    }

    /// Every package's record and document, in key-byte order; on every core. `counted`: the
    /// document IDs with retrieval counts, whose packages keep their own keys.
    private func foldPackages(decoded: [Decoded], roots: [PublicKey: PublicKey], counted: Set<UInt64>) -> [FoldedPackage] {
        ParallelMap.map(packages) { [events, transfers, rotations] package in
            let state: PackageState?
            // One copy of the event, not one per field read.
            let only = package.indices.count == 1 ? events[package.indices[0]] : nil
            if let only, transfers[package.key.scope] == nil, rotations[only.author] == nil,
               let release = Self.release(decoded[package.indices[0]].body) {
                state = ViewBatch.firstReleaseState(package.key, only, release, principal: roots[only.author] ?? only.author)
            } else {
                let indices = package.indices + (transfers[package.key.scope] ?? [])
                let folded = indices.map { events[$0] } + rotationEvents(ofAuthorsOf: indices)
                state = PackageFold.fold(package: package.key, events: folded) { roots[$0] ?? $0 }
            }
            var folded = FoldedPackage(key: package.bytes, indices: package.indices)
            guard let state else { return folded }
            folded.record = state.encoded()
            folded.document = SearchDocument(state: state)
            folded.docID = folded.document?.docID
            if let docID = folded.docID, counted.contains(docID) { folded.ownKeys = ViewBatch.ownKeys(state) }
            return folded
        }
    }

    private static func release(_ body: EventBody?) -> ReleasePublished? {
        if case .releasePublished(let release)? = body { release } else { nil }
    }

    /// Each package's entries in `releases`, `packageEvents` and, where
    /// `indexed`, the search index, recorded on every core in contiguous chunks of packages.
    private func recordPackages(
        _ packages: [FoldedPackage], indexed: [Bool], buckets: [UInt64: PopularityBucket], databases: RegistryDatabases
    ) -> [(IndexChanges, IndexChanges)] {
        let cores = max(1, ProcessInfo.processInfo.activeProcessorCount)
        let chunks = min(packages.count, cores * 4)
        let ranges = (0..<chunks).map { (packages.count * $0 / chunks)..<(packages.count * ($0 + 1) / chunks) }
        return ParallelMap.map(ranges, minimumCount: 2) { [events] range in
            var changes = Self.bookkeeping(databases)
            var search = SearchIndexWriter.changes(databases)
            for position in range {
                let key = packages[position].key
                for index in packages[position].indices {
                    changes.add(Self.packageEvents, key: key, value: events[index].id.bytes)
                }
                guard let record = packages[position].record else { continue }
                changes.add(Self.releases, key: key, value: record)
                if indexed[position], let document = packages[position].document {
                    SearchIndexWriter.record(document, delta: 1, bucket: buckets[document.docID] ?? .none, into: &search)
                }
            }
            return (changes, search)
        }
    }

    /// Every scope with a release or a transfer, folded from each author's first release into
    /// it and its transfers, as `ViewBatch.refold(scope:)` does.
    private mutating func foldScopes(roots: [PublicKey: PublicKey]) {
        for scope in Set(firstReleases.keys).union(transfers.keys) {
            let indices = (firstReleases[scope]?.values.map(\.index) ?? []) + (transfers[scope] ?? [])
            let folded = indices.map { events[$0] } + rotationEvents(ofAuthorsOf: indices)
            let state = ScopeFold.fold(scope: scope, events: folded) { roots[$0] ?? $0 }
            guard !(state.claimants.isEmpty && state.transfers.isEmpty) else { continue }
            bookkeeping.add(Self.scopes, key: scope.utf8, value: state.encoded())
        }
    }

    /// The retrieval counts and each counted document's popularity, as
    /// `ViewBatch.refoldPopularity` folds them: reporters in key order, the package's own keys
    /// left out. Returns each record's bucket by document ID.
    private mutating func foldPopularity(ownKeys: (UInt64) -> Set<PublicKey>) -> [UInt64: PopularityBucket] {
        var buckets: [UInt64: PopularityBucket] = [:]
        let slots = retrievalSlots.sorted { $0.key.lexicographicallyPrecedes($1.key) }
        var start = 0
        while start < slots.count {
            let docKey = slots[start].key.prefix(8)
            var end = start
            var totals: [(reporter: PublicKey, total: UInt64)] = []
            while end < slots.count, slots[end].key.prefix(8) == docKey {
                let (slot, count) = slots[end]
                bookkeeping.add(Self.retrievalCounts, key: slot, value: BigEndian.bytes(count))
                if let reporter = try? PublicKey(bytes: Array(slot[8..<40])) {
                    if let last = totals.last, last.reporter == reporter {
                        let sum = last.total.addingReportingOverflow(count)
                        totals[totals.count - 1].total = sum.overflow ? .max : sum.partialValue
                    } else {
                        totals.append((reporter, count))
                    }
                }
                end += 1
            }
            var docID: UInt64 = 0
            for byte in docKey { docID = docID << 8 | UInt64(byte) }
            if let popularity = PackagePopularity.fold(totals: totals, ownKeys: ownKeys(docID)) {
                bookkeeping.add(Self.popularity, key: docKey, value: popularity.encoded())
                buckets[docID] = PopularityBucket(popularity)
            }
            start = end
        }
        return buckets
    }
}
