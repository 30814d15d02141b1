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

    private struct Entry: Sendable {
        let body: EventBody?
        let first: FirstRelease?
    }

    /// By event ID: an ID is the hash of the event's bytes, so equal IDs are equal events.
    private let entries: [EventID: Entry]
    /// Every first release's document entries, added and presorted, in `SearchIndexWriter`'s layout.
    let search: IndexChanges
    /// The first releases whose documents `search` holds, in input order.
    let documented: [FirstRelease]

    init(_ events: [Event], databases: RegistryDatabases) {
        let prepared = ParallelMap.map(events) { event in
            let body = try? event.decodedBody()
            guard case .releasePublished(let release)? = body,
                  let key = RegistryViews.packageKey(scope: release.scope, name: release.name)
            else { return Entry(body: body, first: nil) }
            let state = ViewBatch.firstReleaseState(key, event, release, principal: event.author)
            let document = SearchDocument(state: state)
            return Entry(body: body, first: FirstRelease(
                event: event.id, state: state, record: state.encoded(), document: document, entries: document.map(DocumentEntries.init)))
        }
        var entries: [EventID: Entry] = [:]
        entries.reserveCapacity(events.count)
        var search = SearchIndexWriter.changes(databases)
        var documented: [FirstRelease] = []
        for (event, entry) in zip(events, prepared) where entries.updateValue(entry, forKey: event.id) == nil {
            guard let first = entry.first, let documentEntries = first.entries else { continue }
            documentEntries.replay(into: &search, delta: 1)
            documented.append(first)
        }
        search.presort()
        self.entries = entries
        self.search = search
        self.documented = documented
    }

    /// The event's body, decoded here when the batch prepared lacks the event.
    func body(of event: Event) -> EventBody? {
        if let entry = entries[event.id] { return entry.body }
        return try? event.decodedBody()
    }

    /// The package state of `event`'s release as its package's only event, its author its principal.
    func firstRelease(of event: EventID) -> FirstRelease? {
        entries[event]?.first
    }
}
