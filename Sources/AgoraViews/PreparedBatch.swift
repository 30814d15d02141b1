import AgoraCore
import AgoraStore

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
        /// The document's index entries, each added once to `search`.
        let entries: DocumentEntries?

        init(event: EventID, state: PackageState, record: [UInt8], document: SearchDocument?, entries: DocumentEntries?) {
            self.event = event
            self.state = state
            self.record = record
            self.document = document
            self.entries = entries
        }
    }

    /// The events' IDs, bodies and first releases, in input order: the transaction finds an
    /// event's by position (`positions(of:)`), so no dictionary keyed by event ID is built or
    /// probed per event on either side.
    private let ids: [EventID]
    private let bodies: [EventBody?]
    private let firsts: [FirstRelease?]
    /// Every first release's document entries, added and presorted, in `SearchIndexWriter`'s layout.
    let search: IndexChanges
    /// Every release's and yank's entry in the package event sets, presorted, for a batch
    /// applied with exactly the prepared events (`covers`).
    let packageEvents: IndexChanges
    /// The positions whose first releases' documents `search` holds, once per position (an
    /// event given twice is added twice, and withdrawn wherever its position goes unused).
    let documented: [Int]

    init(_ events: [Event], databases: RegistryDatabases) {
        let prepared = ParallelMap.map(events) { event -> (body: EventBody?, set: [UInt8]?, first: FirstRelease?) in
            let body = try? event.decodedBody()
            let set = ViewBatch.packageKey(of: body).map { Array($0.description.utf8) }
            guard case .releasePublished(let release)? = body,
                  let key = RegistryViews.packageKey(scope: release.scope, name: release.name)
            else { return (body, set, nil) }
            let state = ViewBatch.firstReleaseState(key, event, release, principal: event.author)
            let document = SearchDocument(state: state)
            return (body, set, FirstRelease(
                event: event.id, state: state, record: state.encoded(), document: document, entries: document.map(DocumentEntries.init)))
        }
        var search = SearchIndexWriter.changes(databases)
        var packageEvents = ViewBatch.packageEventChanges(databases)
        var documented: [Int] = []
        for (index, item) in prepared.enumerated() {
            if let set = item.set { packageEvents.add(0, key: set, value: events[index].id.bytes) }
            guard let documentEntries = item.first?.entries else { continue }
            documentEntries.replay(into: &search, delta: 1)
            documented.append(index)
        }
        search.presort()
        packageEvents.presort()
        self.packageEvents = packageEvents
        ids = events.map(\.id)
        bodies = prepared.map(\.body)
        firsts = prepared.map(\.first)
        self.search = search
        self.documented = documented
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

    /// The package state of the release at `position` as its package's only event, its author its principal.
    func firstRelease(at position: Int) -> FirstRelease? {
        firsts[position]
    }

    /// The entries of the first release at `position`, which `search` holds (`documented`).
    func entries(at position: Int) -> DocumentEntries? {
        firsts[position]?.entries
    }
}
