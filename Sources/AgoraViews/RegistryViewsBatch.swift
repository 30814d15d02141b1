import AgoraCore
import AgoraStore

/// One `apply` call: records each event in the sets it belongs to, collects what those sets
/// feed, and re-folds each dirty package and scope once at the end, however many events of
/// the batch touched it.
struct ViewBatch {
    let txn: WriteTransaction
    let databases: RegistryDatabases
    /// The batch's own events and their bodies (nil: undecodable), so folds do not read back
    /// or decode again what they were just handed. The batch's bookkeeping refers to them by
    /// position, so recording an event copies and hashes no event.
    private let events: [Event]
    private let bodies: [EventBody?]
    /// Position of each of `events` by ID, built when a fold first loads an event by ID.
    private var eventPositions: [EventID: Int]?
    /// Packages to re-fold, with their key bytes and this batch's events of each (positions in
    /// `events`, which the stored sets lack until `bookkeeping` is written), and each one's
    /// place in that list: recording an event hashes its key once, re-folding a package looks
    /// nothing up, and the list is sorted where it stands (copying a table's values out
    /// retained every key, bytes and event list once more).
    private var dirtyPackages: [DirtyPackage] = []
    private var dirtyPositions: [PackageKey: Int] = [:]
    /// Whether `dirtyPackages` is in key-byte order already: a batch of exactly the prepared
    /// events starts from the prepared packages, sorted, with each event's place among them
    /// (`packageSlots`), and fills `dirtyPositions` (`positionsPending` until then) only when
    /// a package outside them is marked.
    private var dirtySorted = false
    private var positionsPending = false
    private let packageSlots: [Int32]?
    /// Each dirty package's events in this batch, by `DirtyPackage.slot`: a chain through
    /// `nextEvent` (the next event of the same package after each position, nil: the last), so
    /// recording one allocates no list per package.
    private var chains: [EventChain] = []
    private var nextEvent: [Int?]
    private var dirtyScopes = Set<String>()
    /// Scopes whose every package must be re-folded (a transfer, or a rotation of a party to one).
    private var wholeScopes = Set<String>()
    private var principalCache: [PublicKey: PublicKey] = [:]
    private var transferredScopes: [String: Bool] = [:]
    /// The last scope and author the new-package fast path looked up, and what it found (for
    /// the author: its principal and whether that is itself, nil when its feed holds a
    /// rotation). Packages are re-folded in key order, so consecutive ones mostly share their
    /// scope and its publisher: one comparison each, where the caches hashed the scope once
    /// and the author twice per package (5 % of a deferred fold's write transaction).
    private var lastFastPathScope: (scope: String, transferred: Bool)?
    private var lastFastPathAuthor: (author: PublicKey, principal: PublicKey?, own: Bool)?
    /// Each author's rotations, read once per batch (after the batch recorded its own).
    private var rotationCache: [PublicKey: [Event]] = [:]
    /// The package-event entries of this batch, written sorted at the end.
    private var bookkeeping: IndexChanges
    /// Whether `recordPackageEvent` adds the entries (false: `bookkeeping` holds them, prepared).
    private let recordsPackageEvents: Bool
    /// Whether the event at each position is a release the views take (so the fast path
    /// need not match its body again).
    private var isRelease: [Bool]
    private let newPackageFastPath: Bool
    /// What was made of this batch before the transaction, if it was prepared, and each
    /// event's position in it (`PreparedBatch.positions(of:)`).
    private let prepared: PreparedBatch?
    private let preparedPositions: [Int?]
    /// The prepared first releases this batch used, by prepared position; the others' entries are withdrawn.
    private var usedPrepared: [Bool]
    private var search: SearchIndexWriter
    /// Documents whose retrieval counts or package keys changed in this batch, with repeats:
    /// sorted and deduplicated once at the end (a set insert per re-folded package was 2 % of
    /// the deferred fold's writer thread).
    private var dirtyPopularity: [UInt64] = []

    /// Each (scope, author)'s release of lowest (seq, event ID) in this batch, by position:
    /// compared with the stored one once per pair when the batch ends. Reduced in `prepare`
    /// for a batch of exactly the prepared events.
    private var batchFirstReleases: FirstReleases
    /// Whether `recordFirstRelease` adds the releases (false: `batchFirstReleases` holds them, prepared).
    private let recordsFirstReleases: Bool

    /// A class, so re-folding hands each to `fold` by reference: a struct was copied there,
    /// retaining its key's strings and bytes, made on the other core. Immutable, so the
    /// batch's tables of them are freed on another thread (`backgroundRelease`).
    private final class DirtyPackage: Sendable {
        let key: PackageKey
        let bytes: [UInt8]
        /// Its place in `chains` (the order recorded; `refoldDirty` sorts the packages).
        let slot: Int

        init(key: PackageKey, bytes: [UInt8], slot: Int) {
            self.key = key
            self.bytes = bytes
            self.slot = slot
        }
    }

    /// A package's events in this batch: the first and last of the chain `nextEvent` links.
    private struct EventChain {
        var first: Int?
        var last: Int?
        var count = 0
    }

    /// Frees each batch's tables of dirty packages and their folds, tens of thousands of
    /// objects that hold keys made on the other core, off the writer thread.
    private static let backgroundRelease = BackgroundRelease()

    /// `prepared`: the batch made before the transaction and each event's position in it.
    init(
        txn: WriteTransaction, databases: RegistryDatabases, events: [Event], bodies: [EventBody?], newPackageFastPath: Bool,
        prepared: (batch: PreparedBatch, positions: [Int?])? = nil
    ) {
        self.txn = txn
        self.databases = databases
        self.events = events
        self.bodies = bodies
        self.newPackageFastPath = newPackageFastPath
        self.prepared = prepared?.batch
        preparedPositions = prepared?.positions ?? []
        isRelease = Array(repeating: false, count: events.count)
        nextEvent = Array(repeating: nil, count: events.count)
        usedPrepared = Array(repeating: false, count: prepared?.batch.count ?? 0)
        // A batch of exactly the prepared events starts from their presorted set entries.
        let covered = prepared.flatMap { $0.batch.covers($0.positions) ? $0.batch : nil }
        let presorted = covered?.packageEvents
        recordsPackageEvents = presorted == nil
        recordsFirstReleases = covered == nil
        batchFirstReleases = covered?.firstReleases ?? FirstReleases()
        bookkeeping = presorted ?? Self.packageEventChanges(databases)
        if let covered {
            dirtyPackages = covered.distinctPackages.enumerated().map { DirtyPackage(key: $1.key, bytes: $1.bytes, slot: $0) }
            chains = Array(repeating: EventChain(), count: dirtyPackages.count)
            dirtySorted = true
            positionsPending = true
            packageSlots = covered.packageSlots
        } else {
            packageSlots = nil
        }
        search = SearchIndexWriter(txn: txn, databases: databases, prepared: prepared?.batch.search)
    }

    // MARK: Recording

    /// The event at `index` of the batch (a release or a yank) joins the package's set.
    mutating func recordPackageEvent(_ index: Int, package: PackageKeyBytes, release: Bool) throws {
        if recordsPackageEvents { bookkeeping.add(0, key: package.bytes, value: events[index].id.bytes) }
        let prepared = packageSlots.map { Int($0[index]) } ?? -1
        let slot = prepared >= 0 ? prepared : dirtySlot(package.key) { DirtyPackage(key: package.key, bytes: package.bytes, slot: $0) }
        if let last = chains[slot].last { nextEvent[last] = index } else { chains[slot].first = index }
        chains[slot].last = index
        chains[slot].count += 1
        isRelease[index] = release
    }

    /// The package's place in `dirtyPackages`, added there (`make`) when absent, hashing its key once.
    private mutating func dirtySlot(_ key: PackageKey, _ make: (Int) -> DirtyPackage) -> Int {
        let next = dirtyPackages.count
        if positionsPending {
            dirtyPositions = Dictionary(dirtyPackages.map { ($0.key, $0.slot) }, uniquingKeysWith: { first, _ in first })
            positionsPending = false
        }
        func slot(_ stored: inout Int) -> Int { stored }
        let slot = slot(&dirtyPositions[key, default: next])
        if slot == next {
            dirtyPackages.append(make(slot))
            chains.append(EventChain())
            dirtySorted = false
        }
        return slot
    }

    /// The package's events in this batch, in the order recorded.
    private func batchEvents(of package: DirtyPackage) -> [Int] {
        var out: [Int] = []
        out.reserveCapacity(chains[package.slot].count)
        var next = chains[package.slot].first
        while let index = next {
            out.append(index)
            next = nextEvent[index]
        }
        return out
    }

    /// Keeps the author's lowest-seq release into the scope: the only one of its releases a
    /// scope fold can pick, so the scope re-folds from one event per author.
    mutating func recordFirstRelease(_ index: Int, scope: String) {
        if recordsFirstReleases { batchFirstReleases.add(index, of: events, scope: scope) }
    }

    /// Empty changes over the package event sets.
    static func packageEventChanges(_ databases: RegistryDatabases) -> IndexChanges {
        IndexChanges([databases.packageEvents])
    }

    /// The package whose set an event with `body` joins (a release or a yank), or nil.
    static func packageKey(of body: EventBody?) -> PackageKey? {
        switch body {
        case .releasePublished(let release)?: RegistryViews.packageKey(scope: release.scope, name: release.name)
        case .releaseYanked(let yank)?: RegistryViews.packageKey(scope: yank.scope, name: yank.name)
        default: nil
        }
    }

    /// Stores each (scope, author)'s first release of the batch where it precedes the stored one.
    private mutating func writeFirstReleases() throws {
        let records = batchFirstReleases.positions.map { pair in
            var key = Array(pair.key.scope.utf8)
            key.append(0)
            key.append(contentsOf: pair.key.author.bytes)
            var value = BigEndian.bytes(events[pair.value].seq)
            value.append(contentsOf: events[pair.value].id.bytes)
            return (key: key, value: value)
        }
        for (key, value) in records.sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) {
            let existing = try txn.get(databases.scopeAuthors, key: key)
            guard existing.map({ value.lexicographicallyPrecedes($0) }) ?? true else { continue }
            try txn.put(databases.scopeAuthors, key: key, value: value)
            guard let separator = key.firstIndex(of: 0) else { continue }
            dirtyScopes.insert(String(decoding: key[..<separator], as: UTF8.self))
        }
        batchFirstReleases = FirstReleases()
    }

    mutating func recordTransfer(_ event: Event, scope: String, newOwner: PublicKey) throws {
        try txn.put(databases.scopeEvents, key: Array(scope.utf8), value: event.id.bytes)
        try txn.put(databases.transfersTo, key: newOwner.bytes, value: Array(scope.utf8))
        wholeScopes.insert(scope)
    }

    /// A (reporter, peer) score is the sum over the set of the reporter's events about the peer. The event joins the set
    /// first and is added only if it was not already a member, so applying an event twice (a
    /// rebuild meeting an append from another process) changes nothing, and sums commute, so
    /// any order gives the same record.
    func addToPeerScore(_ event: Event, _ body: EventBody) throws {
        guard let peer = PeerScoreFold.peer(of: body), !peer.isEmpty, peer.count <= PeerScore.maxPeerLength else { return }
        let empty = PeerScore(peer: peer, reporter: event.author.bytes)
        guard try txn.insert(databases.peerEvents, key: empty.key, value: event.id.bytes) else { return }
        var score = try txn.withValue(databases.scores, key: empty.key) { bytes in
            try Self.decode("peer score", bytes) { (bytes) throws(ViewDecodeError) in try PeerScore(decoding: bytes) }
        } ?? empty
        score.apply(body, at: event.timestamp)
        try txn.put(databases.scores, key: empty.key, value: score.encoded())
    }

    /// Raises each (package, reporter, period) count to the summary's when that is larger: a
    /// maximum, so any order and any repetition of summaries leaves the same counts.
    mutating func recordRetrievals(_ event: Event, _ summary: RetrievalsCounted) throws {
        for entry in summary.counts {
            guard let key = RegistryViews.packageKey(counted: entry.package) else { continue }
            let docID = SearchDocument.docID(for: key)
            var slot = BigEndian.bytes(docID)
            slot.append(contentsOf: event.author.bytes)
            BigEndian.append(summary.period, to: &slot)
            let count = min(entry.count, PackagePopularity.capPerPeriod)
            if let stored = try txn.withValue(databases.retrievalCounts, key: slot, { BigEndian.uint64($0) }) {
                guard let stored else { throw StoreError.corrupt("retrieval count record is not 8 bytes; rebuild the views") }
                if stored >= count { continue }
            }
            try txn.put(databases.retrievalCounts, key: slot, value: BigEndian.bytes(count))
            dirtyPopularity.append(docID)
        }
    }

    // MARK: Principals

    /// Re-derives the principal map from every rotation in the store, rewrites the keys whose
    /// principal changed, and marks everything those keys touched for re-folding, and
    /// everything the rotations' authors touched (a rotation retires its author's later events).
    mutating func refoldPrincipals(retiring authors: [PublicKey]) throws {
        var rotationIDs: [EventID] = []
        try txn.forEach(databases.rotations) { entry in
            rotationIDs.append(try Self.eventID(entry.value))
            return true
        }
        let map = PrincipalMap(events: try rotationIDs.map { try load($0) })
        var roots: [PublicKey: PublicKey] = [:]
        for key in map.predecessor.keys { roots[key] = map.principal(of: key) }

        var stored: [PublicKey: PublicKey] = [:]
        try txn.forEach(databases.principals) { entry in
            stored[try Self.publicKey(entry.key)] = try Self.publicKey(entry.value)
            return true
        }
        var changed = authors
        for (key, root) in stored where roots[key] != root {
            try txn.delete(databases.principals, key: key.bytes)
            changed.append(key)
        }
        for (key, root) in roots where stored[key] != root {
            try txn.put(databases.principals, key: key.bytes, value: root.bytes)
            changed.append(key)
        }
        principalCache = [:]
        try markTouched(by: Set(changed))
    }

    /// Marks for re-folding every package and scope the events of `keys` touched: the packages
    /// they released or yanked and the scopes they transferred (read from each key's feed,
    /// which holds this batch's events too: the log is written before the views), and the
    /// scopes transferred to them (`transfersTo`). Rotations are rare, so reading the feeds here
    /// costs less than an author index written with every release; the transfers to a key are
    /// looked up, not found by scanning every transfer, so a flood of rotations cannot make
    /// each one cost the whole transfer set.
    private mutating func markTouched(by keys: Set<PublicKey>) throws {
        guard !keys.isEmpty else { return }
        for key in keys.sorted(by: { $0.bytes.lexicographicallyPrecedes($1.bytes) }) {
            var ids: [EventID] = []
            try txn.forEach(databases.store.feedEntries, prefix: key.bytes) { entry in
                guard entry.value.count >= 32 else { throw StoreError.corrupt("feed entry of \(entry.value.count) bytes") }
                ids.append(try Self.eventID(UnsafeRawBufferPointer(rebasing: entry.value[..<32])))
                return true
            }
            for id in ids {
                switch try? load(id).decodedBody() {
                case .releasePublished(let release)?:
                    if let package = RegistryViews.packageKey(scope: release.scope, name: release.name) { markDirty(package) }
                case .releaseYanked(let yank)?:
                    if let package = RegistryViews.packageKey(scope: yank.scope, name: yank.name) { markDirty(package) }
                case .scopeTransferred(let transfer)?:
                    if let scope = RegistryViews.scope(transfer.scope) { wholeScopes.insert(scope) }
                default:
                    continue
                }
            }
            try txn.forEach(databases.transfersTo, prefix: key.bytes) { entry in
                guard entry.key.count == 32 else { throw StoreError.corrupt("transfer target key of \(entry.key.count) bytes") }
                wholeScopes.insert(String(decoding: entry.value, as: UTF8.self))
                return true
            }
        }
    }

    private mutating func markDirty(_ package: PackageKey) {
        touch(package)
        dirtyScopes.insert(package.scope)
    }

    /// Marks the package for re-folding (with no event of this batch, unless recorded).
    private mutating func touch(_ package: PackageKey) {
        _ = dirtySlot(package) { DirtyPackage(key: package, bytes: Array(package.description.utf8), slot: $0) }
    }

    /// The principal of each key, read once per batch.
    private mutating func principals(of keys: some Sequence<PublicKey>) throws -> [PublicKey: PublicKey] {
        var out: [PublicKey: PublicKey] = [:]
        for key in keys where out[key] == nil { out[key] = try principal(of: key) }
        return out
    }

    private mutating func principal(of key: PublicKey) throws -> PublicKey {
        if let cached = principalCache[key] { return cached }
        let root = try txn.withValue(databases.principals, key: key.bytes) { try Self.publicKey($0) } ?? key
        principalCache[key] = root
        return root
    }

    /// The rotations in the feeds of `events`' authors, which the folds need to tell which
    /// of those events their authors' rotations retired (`KeyRevocations`).
    private mutating func rotations(ofAuthorsOf events: [Event]) throws -> [Event] {
        var out: [Event] = []
        for author in Set(events.map(\.author)) { out += try rotations(of: author) }
        return out
    }

    /// Whether the author's feed holds a rotation, without copying out its cached list.
    private mutating func hasRotations(_ author: PublicKey) throws -> Bool {
        if let cached = rotationCache[author]?.isEmpty { return !cached }
        return try !rotations(of: author).isEmpty
    }

    private mutating func rotations(of author: PublicKey) throws -> [Event] {
        if let cached = rotationCache[author] { return cached }
        let rotations = try eventIDs(in: databases.rotations, key: author.bytes).map { try load($0) }
        rotationCache[author] = rotations
        return rotations
    }

    /// Keys a fold may ask the principal of: authors and transfer recipients.
    private static func keysMentioned(by events: [Event]) -> [PublicKey] {
        var keys = events.map(\.author)
        for event in events where event.kind == .scopeTransferred {
            if case .scopeTransferred(let transfer)? = try? event.decodedBody() { keys.append(transfer.newOwner) }
        }
        return keys
    }

    // MARK: Re-folding

    mutating func refoldDirty() throws {
        try writeFirstReleases()
        for scope in wholeScopes.sorted() {
            dirtyScopes.insert(scope)
            let prefix = Array("\(scope)/".utf8)
            try txn.withCursor(databases.packageEvents) { cursor in
                var entry = try cursor.seek(prefix)
                while let current = entry, current.key.starts(with: prefix) {
                    guard let package = PackageKey(String(decoding: current.key, as: UTF8.self)) else {
                        throw StoreError.corrupt("package events key \(Hex.encode(Array(current.key))) is no package")
                    }
                    touch(package)
                    entry = try cursor.nextKey()
                }
            }
        }
        // Sorted by key bytes (`PackageKey.<` builds both strings per comparison), so the
        // writes walk each tree in order; in place (a sorted copy of tuples moved each through
        // value witnesses), taken out of the batch rather than copied.
        var packages: [DirtyPackage] = []
        swap(&packages, &dirtyPackages)
        var positions: [PackageKey: Int] = [:]
        swap(&positions, &dirtyPositions)
        if !dirtySorted { packages.sort { ByteOrder.precedes($0.bytes, $1.bytes) } }
        // Folding reads the transaction, so it runs here; what follows from each state alone
        // (its record bytes and search document) is derived on every core, then written here,
        // unless the batch was prepared with it.
        var folded: [Folded] = []
        folded.reserveCapacity(packages.count)
        var unprepared: [PackageState] = []
        for package in packages {
            switch try fold(package) {
            case .prepared(let position, let first):
                usedPrepared[position] = true
                folded.append(.prepared(first))
            case .folded(let state?):
                folded.append(.derived(unprepared.count))
                unprepared.append(state)
            case .folded(nil):
                folded.append(.none)
            }
        }
        let derived = ParallelMap.map(unprepared) { state in (record: state.encoded(), document: SearchDocument(state: state)) }
        // Each document's ID read in place: copying a document out to read it retained its every string.
        let docIDs = packages.indices.map { index in
            switch folded[index] {
            case .prepared(let first): first.docID ?? SearchDocument.docID(for: packages[index].key)
            case .derived(let slot): derived[slot].document?.docID ?? SearchDocument.docID(for: packages[index].key)
            case .none: SearchDocument.docID(for: packages[index].key)
            }
        }
        search.willReplace(docIDs)
        for (index, package) in packages.enumerated() {
            switch folded[index] {
            case .prepared(let first):
                try write(package, docID: docIDs[index], record: first.record, document: first.document, prepared: first.entries)
            case .derived(let slot):
                try write(package, docID: docIDs[index], record: derived[slot].record, document: derived[slot].document, prepared: nil)
            case .none:
                try write(package, docID: docIDs[index], record: nil, document: nil, prepared: nil)
            }
        }
        chains = []
        Self.backgroundRelease.release((consume packages, consume positions, consume folded))
        for position in prepared?.documented ?? [] where !usedPrepared[position] {
            if let entries = prepared?.entries(at: position) { search.withdraw(entries) }
        }
        try bookkeeping.write(txn)
        try search.finish()
        for scope in dirtyScopes.sorted() { try refold(scope: scope) }
        dirtyPopularity.sort()
        let counted = try countedDocuments(limit: dirtyPopularity.count)
        for (index, docID) in dirtyPopularity.enumerated() where index == 0 || dirtyPopularity[index - 1] != docID {
            if counted?.contains(docID) ?? true { try refoldPopularity(docID) }
        }
    }

    /// The documents the retrieval counts hold, read in one pass when the table has at most
    /// `limit` entries (nil: more, or a malformed key, which `refoldPopularity` reports): a
    /// document without counts has no popularity to fold, and seeking each re-folded
    /// document's counts was 4 % of a deferred fold's write transaction where few or none exist.
    private func countedDocuments(limit: Int) throws -> Set<UInt64>? {
        guard try txn.statistics(databases.retrievalCounts).entries <= limit else { return nil }
        var documents = Set<UInt64>()
        var wellFormed = true
        try txn.forEach(databases.retrievalCounts) { entry in
            guard entry.key.count == 48, let docID = BigEndian.uint64(entry.key, at: 0) else {
                wellFormed = false
                return false
            }
            documents.insert(docID)
            return true
        }
        return wellFormed ? documents : nil
    }

    /// Sums each reporter's capped counts over its periods and folds them into the package's
    /// popularity, leaving out reporters who are the package's own keys (release authors and
    /// claimant principals, as the package's current record has them). The document's postings
    /// follow the record's bucket.
    private func refoldPopularity(_ docID: UInt64) throws {
        let docKey = BigEndian.bytes(docID)
        var totals: [(reporter: PublicKey, total: UInt64)] = []
        try txn.forEach(databases.retrievalCounts, prefix: docKey) { entry in
            guard entry.key.count == 48, entry.value.count == 8, let count = BigEndian.uint64(entry.value) else {
                throw StoreError.corrupt("retrieval count entry of \(entry.key.count)/\(entry.value.count) bytes; rebuild the views")
            }
            let reporter = try Self.publicKey(UnsafeRawBufferPointer(rebasing: entry.key[8..<40]))
            if let last = totals.last, last.reporter == reporter {
                let sum = last.total.addingReportingOverflow(count)
                totals[totals.count - 1].total = sum.overflow ? .max : sum.partialValue
            } else {
                totals.append((reporter, count))
            }
            return true
        }
        guard !totals.isEmpty else { return }
        var ownKeys = Set<PublicKey>()
        let package = try txn.withValue(databases.docs, key: docKey) { bytes in
            try Self.decode("search summary", bytes) { (bytes) throws(ViewDecodeError) in try SearchSummary.scopeAndName(decoding: bytes) }
        }
        if let package, let state = try txn.withValue(databases.releases, key: Array(PackageKey(scope: package.scope, name: package.name).description.utf8), { bytes in
            try Self.decode("package record", bytes) { (bytes) throws(ViewDecodeError) in try PackageState(decoding: bytes) }
        }) {
            ownKeys = Self.ownKeys(state)
        }
        let old = try SearchIndexWriter.storedBucket(docID, txn: txn, databases: databases)
        let popularity = PackagePopularity.fold(totals: totals, ownKeys: ownKeys)
        if let popularity {
            try txn.put(databases.popularity, key: docKey, value: popularity.encoded())
        } else {
            try txn.delete(databases.popularity, key: docKey)
        }
        try SearchIndexWriter.rebucket(docID, from: old, to: PopularityBucket(popularity), txn: txn, databases: databases)
    }

    /// A package's new state: prepared before the transaction with its record and document, or
    /// folded here (nil: no release left).
    private enum Fold {
        /// At its position in the prepared batch.
        case prepared(Int, PreparedBatch.FirstRelease)
        case folded(PackageState?)
    }

    /// What `refoldDirty` writes for a package: a prepared first release, the record and
    /// document derived from a folded state (its place in the derived list), or none.
    private enum Folded: Sendable {
        case prepared(PreparedBatch.FirstRelease)
        case derived(Int)
        case none
    }

    /// The package's state folded from its whole event set.
    private mutating func fold(_ package: DirtyPackage) throws -> Fold {
        if let fresh = try newPackageState(package) {
            return fresh
        } else {
            let key = package.key
            var ids = try eventIDs(in: databases.packageEvents, key: package.bytes)
            if chains[package.slot].count > 0 {
                let stored = Set(ids)
                ids += batchEvents(of: package).map { self.events[$0].id }.filter { !stored.contains($0) }
            }
            ids += try eventIDs(in: databases.scopeEvents, key: Array(key.scope.utf8))
            var events = try ids.map { try load($0) }
            events += try rotations(ofAuthorsOf: events)
            let principals = try principals(of: Self.keysMentioned(by: events))
            return .folded(PackageFold.fold(package: key, events: events) { principals[$0] ?? $0 })
        }
    }

    /// Stores a re-folded package: its record (nil: none left) and its search document
    /// (`prepared`: its entries, which the search changes hold already) under `docID`.
    /// The package is passed by reference: passing its key and bytes copied them.
    private mutating func write(
        _ package: DirtyPackage, docID: UInt64, record: [UInt8]?, document: SearchDocument?, prepared: DocumentEntries?
    ) throws {
        if let record {
            try txn.put(databases.releases, key: package.bytes, value: record)
        } else {
            try txn.delete(databases.releases, key: package.bytes)
        }
        try search.replace(package: package.key, docID: docID, with: document, prepared: prepared)
        dirtyPopularity.append(docID)
    }

    /// The state of a package whose whole event set is one release in this batch: no stored
    /// events, no transfer of its scope, no rotation in its author's feed. For that set
    /// `PackageFold` makes one release and one independent claimant; this builds the same state
    /// without reading back the sets or decoding the event again (most events of a catch-up or a
    /// rebuild are such first releases). The prepared state when the batch has one for the
    /// same principal. Nil when the package needs the general fold.
    private mutating func newPackageState(_ package: DirtyPackage) throws -> Fold? {
        guard newPackageFastPath, chains[package.slot].count == 1, let index = chains[package.slot].first, isRelease[index],
              try !txn.contains(databases.packageEvents, key: package.bytes),
              try !fastPathScopeHasTransfers(package.key.scope),
              let (principal, own) = try fastPathPrincipal(of: events[index].author)
        else { return nil }
        if own, let position = preparedPositions.isEmpty ? nil : preparedPositions[index],
           let first = prepared?.firstRelease(at: position) {
            return .prepared(position, first)
        }
        guard case .releasePublished(let release)? = bodies[index] else { return nil }
        return .folded(Self.firstReleaseState(package.key, events[index], release, principal: principal))
    }

    /// `scopeHasTransfers`, asked of the last scope first.
    private mutating func fastPathScopeHasTransfers(_ scope: String) throws -> Bool {
        if let last = lastFastPathScope, last.scope == scope { return last.transferred }
        let transferred = try scopeHasTransfers(scope)
        lastFastPathScope = (scope, transferred)
        return transferred
    }

    /// The author's principal and whether that is the author itself, nil when the author's
    /// feed holds a rotation; asked of the last author first.
    private mutating func fastPathPrincipal(of author: PublicKey) throws -> (PublicKey, own: Bool)? {
        if let last = lastFastPathAuthor, last.author == author { return last.principal.map { ($0, last.own) } }
        let principal = try hasRotations(author) ? nil : try principal(of: author)
        let own = principal == author
        lastFastPathAuthor = (author, principal, own)
        return principal.map { ($0, own) }
    }

    /// Whether the scope's transfer set is non-empty, read once per batch (after the batch
    /// recorded its own transfers).
    private mutating func scopeHasTransfers(_ scope: String) throws -> Bool {
        if let known = transferredScopes[scope] { return known }
        let known = try txn.contains(databases.scopeEvents, key: Array(scope.utf8))
        transferredScopes[scope] = known
        return known
    }

    /// What `PackageFold` makes of a package whose whole event set is one release (and no
    /// transfer of its scope, no rotation in its author's feed): that release, one claimant.
    static func firstReleaseState(_ key: PackageKey, _ event: Event, _ release: ReleasePublished, principal: PublicKey) -> PackageState {
        let only = PackageRelease(
            principal: principal, version: release.version, author: event.author, seq: event.seq, event: event.id,
            archiveDigest: release.archiveDigest, archiveSize: release.archiveSize, manifest: release.manifest,
            timestamp: event.timestamp)
        return PackageState(
            key: key, displayScope: release.scope, displayName: release.name, releases: [only],
            claimants: [Claimant(principal: principal, firstRelease: event.id)], contested: false)
    }

    /// The keys whose retrieval reports a package's popularity leaves out: its release authors
    /// and principals and its claimants' principals.
    static func ownKeys(_ state: PackageState) -> Set<PublicKey> {
        var keys = Set<PublicKey>()
        for release in state.releases { keys.formUnion([release.author, release.principal]) }
        for claimant in state.claimants { keys.insert(claimant.principal) }
        return keys
    }

    private mutating func refold(scope: String) throws {
        var prefix = Array(scope.utf8)
        prefix.append(0)
        var ids: [EventID] = []
        try txn.forEach(databases.scopeAuthors, prefix: prefix) { entry in
            guard entry.value.count == 40 else { throw StoreError.corrupt("scope author record of \(entry.value.count) bytes") }
            ids.append(try Self.eventID(UnsafeRawBufferPointer(rebasing: entry.value[8...])))
            return true
        }
        ids += try eventIDs(in: databases.scopeEvents, key: Array(scope.utf8))
        var events = try ids.map { try load($0) }
        events += try rotations(ofAuthorsOf: events)
        let principals = try principals(of: Self.keysMentioned(by: events))
        let state = ScopeFold.fold(scope: scope, events: events) { principals[$0] ?? $0 }
        if state.claimants.isEmpty && state.transfers.isEmpty {
            try txn.delete(databases.scopes, key: Array(scope.utf8))
        } else {
            try txn.put(databases.scopes, key: Array(scope.utf8), value: state.encoded())
        }
    }

    // MARK: Reading

    private mutating func load(_ id: EventID) throws -> Event {
        if eventPositions == nil {
            var positions: [EventID: Int] = [:]
            positions.reserveCapacity(events.count)
            for (index, event) in events.enumerated() { positions[event.id] = index }
            eventPositions = positions
        }
        if let index = eventPositions?[id] { return events[index] }
        guard let event = try databases.store.event(id: id, in: txn) else {
            throw StoreError.corrupt("a view refers to event \(id), which the log lacks")
        }
        return event
    }

    /// The 32-byte event IDs stored under `key` in a DUPFIXED database.
    private func eventIDs(in db: Database, key: [UInt8]) throws -> [EventID] {
        var out: [EventID] = []
        _ = try txn.withCursor(db) { cursor in
            try cursor.forEachRun(of: key) { run in
                guard run.count % 32 == 0 else { throw StoreError.corrupt("\(db.name) holds a value that is no event ID") }
                for offset in stride(from: 0, to: run.count, by: 32) {
                    out.append(try Self.eventID(UnsafeRawBufferPointer(rebasing: run[offset..<(offset + 32)])))
                }
                return true
            }
        }
        return out
    }

    static func eventID(_ bytes: UnsafeRawBufferPointer) throws -> EventID {
        do { return try EventID(bytes: Array(bytes)) } catch { throw StoreError.corrupt("stored event ID: \(error)") }
    }

    static func publicKey(_ bytes: UnsafeRawBufferPointer) throws -> PublicKey {
        do { return try PublicKey(bytes: Array(bytes)) } catch { throw StoreError.corrupt("stored key: \(error)") }
    }

    /// Runs a view record decoder, reporting failure as a corrupt store (the views need a rebuild).
    static func decode<T>(_ what: String, _ bytes: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) throws(ViewDecodeError) -> T) throws -> T {
        do { return try body(bytes) } catch { throw StoreError.corrupt("\(what): \(error); rebuild the views") }
    }
}
