import AgoraCore
import AgoraMigrations
import Foundation
import AgoraStore
import AgoraTestSupport
import Testing
@testable import AgoraViews

/// Helpers for tests of the LMDB-backed registry views.
enum RegistryViewsTestSupport {
    /// Every view database's entries, flattened: one byte string per database, so two stores
    /// compare byte for byte with `==`.
    static func snapshot(_ store: Store) throws -> [String: [UInt8]] {
        try store.read { txn in
            var out: [String: [UInt8]] = [:]
            for db in store.viewDatabases.all {
                var bytes: [UInt8] = []
                try txn.forEach(db) { entry in
                    BigEndian.append(UInt32(entry.key.count), to: &bytes)
                    bytes.append(contentsOf: entry.key)
                    BigEndian.append(UInt32(entry.value.count), to: &bytes)
                    bytes.append(contentsOf: entry.value)
                    return true
                }
                out[db.name] = bytes
            }
            return out
        }
    }

    /// All events of all feeds in one random interleaving that keeps each feed in order.
    static func interleave(_ feeds: [[Event]], using rng: inout SeededGenerator) -> [Event] {
        var positions = [Int](repeating: 0, count: feeds.count)
        var out: [Event] = []
        while true {
            let open = feeds.indices.filter { positions[$0] < feeds[$0].count }
            guard let pick = open.randomElement(using: &rng) else { return out }
            out.append(feeds[pick][positions[pick]])
            positions[pick] += 1
        }
    }

    /// Appends in random batches of 1...`maxBatch` events; every event must be appended.
    /// The views appending `corpus`' feeds interleaved, in random batches, leaves in a new store
    /// in `directory` (closed again); the events in the order appended.
    static func incrementalViews(
        _ corpus: [[Event]], in directory: TemporaryDirectory, using rng: inout SeededGenerator
    ) throws -> (events: [Event], views: [String: [UInt8]]) {
        let events = interleave(corpus, using: &rng)
        let store = try openRegistryStore(directory)
        #expect(try appendInBatches(events, to: store, maxBatch: 64, using: &rng))
        return (events, try snapshot(store))
    }

    static func appendInBatches(_ events: [Event], to store: Store, maxBatch: Int, using rng: inout SeededGenerator) throws -> Bool {
        var start = 0
        while start < events.count {
            let end = min(events.count, start + Int.random(in: 1...maxBatch, using: &rng))
            let outcomes = try store.append(Array(events[start..<end]), verification: .chain)
            guard outcomes.allSatisfy({ if case .appended = $0 { true } else { false } }) else { return false }
            start = end
        }
        return true
    }

    static func openRegistryStore(_ directory: TemporaryDirectory) throws -> Store {
        try Store(home: directory.url, migrations: AgoraMigrations.all, views: RegistryViews())
    }
}

/// A test maintainer that is the registry views with `apply(_:prepared:...)` changed: the rest
/// forwards to `inner`.
protocol RegistryViewsWrapper: ViewMaintainer {
    var inner: RegistryViews { get }
}

extension RegistryViewsWrapper {
    var viewVersion: UInt32 { inner.viewVersion }
    var databaseSpecs: [DatabaseSpec] { inner.databaseSpecs }

    func apply(_ events: [Event], in txn: WriteTransaction, store: StoreDatabases, views: ViewDatabases) throws {
        try apply(events, prepared: nil, in: txn, store: store, views: views)
    }

    func prepare(_ events: [Event], store: StoreDatabases, views: ViewDatabases) -> (any Sendable)? {
        inner.prepare(events, store: store, views: views)
    }

    func bulkFold(_ events: [Event], store: StoreDatabases, views: ViewDatabases) throws -> [SortedEntries]? {
        try inner.bulkFold(events, store: store, views: views)
    }

    var foldsInBulk: Bool { inner.foldsInBulk }
}

extension FeedBuilder {
    @discardableResult
    mutating func publish(_ scope: String, _ name: String, _ version: String, description: String, keywords: [String] = [], authors: [String] = []) -> Event {
        publish(scope, name, version, manifest: Manifest(
            scope: scope, name: name, version: version, description: description, keywords: keywords, authors: authors))
    }

    @discardableResult
    mutating func observe(peer: [UInt8], _ outcome: RetrievalObserved.Outcome, bytes: UInt64 = 1000, latencyMicros: UInt64 = 500) -> Event {
        append(.retrievalObserved(RetrievalObserved(
            peer: peer, digest: [UInt8](repeating: 3, count: 32), outcome: outcome, bytes: bytes, latencyMicros: latencyMicros)))
    }

    @discardableResult
    mutating func penalise(peer: [UInt8], reason: String) -> Event {
        append(.peerPenalised(PeerPenalised(peer: peer, reason: reason, evidence: [])))
    }
}
