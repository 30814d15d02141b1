import AgoraCore
import AgoraStore
import AgoraTestSupport
import Foundation

/// Signed `releasePublished` events for package records, as a registry node would receive them.
public enum ReleaseEvents {
    /// Record `i` is published by feed `i % feeds`, so the result (in record order) keeps every
    /// feed in seq order. Feeds are signed in parallel. `scope` nil gives each feed its own
    /// scope `feed<n>`; otherwise all publish into `scope`.
    public static func sign(_ records: [PyPIRecord], feeds: Int, keySeed: UInt8, scope: String?, timestamp: UInt64 = 1) -> [Event] {
        let signed = SignedFeeds(count: feeds)
        DispatchQueue.concurrentPerform(iterations: feeds) { feed in
            let identity = try! Identity(seed: [UInt8](repeating: keySeed &+ UInt8(feed), count: 32))
            let feedScope = scope ?? "feed\(feed)"
            var events: [Event] = []
            var prev: EventID?
            for index in stride(from: feed, to: records.count, by: feeds) {
                let event = try! Event.sign(
                    by: identity, seq: UInt64(events.count + 1), prev: prev, timestamp: timestamp,
                    body: body(for: records[index], scope: feedScope))
                prev = event.id
                events.append(event)
            }
            signed.set(feed, events)
        }
        let chains = signed.all
        return records.indices.map { chains[$0 % feeds][$0 / feeds] }
    }

    public static func body(for record: PyPIRecord, scope: String) -> EventBody {
        let version = record.version.isEmpty ? "0" : record.version
        let manifest = Manifest(scope: scope, name: record.name, version: version, description: record.summary)
        return .releasePublished(ReleasePublished(
            scope: scope, name: record.name, version: version, manifest: manifest.canonicalJSON(),
            archiveDigest: EventID(hashing: Array(record.name.utf8)).bytes, archiveSize: 1))
    }

    /// Appends in batches of `batchSize`, one transaction each; fails unless every event is new
    /// and appended. `pipelined`: each next batch is prepared (`Store.prepareAppend`) on another
    /// thread while the writer appends the current one, as a node catching up can.
    public static func append(_ events: [Event], to store: Store, batchSize: Int, verification: Verification, pipelined: Bool = false) throws {
        let batches = stride(from: 0, to: events.count, by: batchSize).map { Array(events[$0..<min(events.count, $0 + batchSize)]) }
        guard pipelined else {
            for batch in batches { try requireAppended(store.append(batch, verification: verification)) }
            return
        }
        let next = PreparedSlot()
        if let first = batches.first { next.set(store.prepareAppend(first)) }
        for index in batches.indices {
            guard let current = next.take() else { break }
            let group = DispatchGroup()
            if index + 1 < batches.count {
                DispatchQueue.global().async(group: group) { next.set(store.prepareAppend(batches[index + 1])) }
            }
            try requireAppended(store.append(current, verification: verification))
            group.wait()
            // The appended batch is freed off the writer's thread too.
            DispatchQueue.global().async { _ = current }
        }
    }

    private static func requireAppended(_ outcomes: [AppendOutcome]) throws {
        if let refused = outcomes.first(where: { if case .appended = $0 { false } else { true } }) {
            throw BenchmarkSetupError("append refused an event: \(refused)")
        }
    }

    /// Appends retrieval summaries made from the records' download ranks (`RetrievalSummaries`,
    /// five reporter keys), so search ranks with realistic popularity; returns how many.
    @discardableResult
    public static func appendPopularity(for records: [PyPIRecord], to store: Store) throws -> Int {
        let summaries = try RetrievalSummaries.events(for: records, scope: PyPIMetadata.scope, reporters: 5, keySeed: 90)
        try append(summaries, to: store, batchSize: 10, verification: .chain)
        return summaries.count
    }
}

/// The batch prepared ahead of the writer.
private final class PreparedSlot: @unchecked Sendable {
    private let lock = NSLock()
    private var prepared: PreparedAppend?

    func set(_ batch: PreparedAppend) {
        lock.withLock { prepared = batch }
    }

    func take() -> PreparedAppend? {
        lock.withLock {
            defer { prepared = nil }
            return prepared
        }
    }
}

/// Per-feed results of the parallel signing.
private final class SignedFeeds: @unchecked Sendable {
    private let lock = NSLock()
    private var chains: [[Event]]

    init(count: Int) {
        chains = Array(repeating: [], count: count)
    }

    func set(_ feed: Int, _ events: [Event]) {
        lock.withLock { chains[feed] = events }
    }

    var all: [[Event]] { lock.withLock { chains } }
}

public struct BenchmarkSetupError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
