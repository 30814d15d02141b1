import AgoraCore
import AgoraStore

/// Feed-head records this node stores for the DHT (PUT_VALUE / GET_VALUE), kept in an LMDB
/// environment of their own so they survive restarts. They are not events and not derived
/// from the log, so they live outside the registry store, whose view databases are rebuilt
/// from the log. Every record is validated before it is stored, and the store is bounded in
/// total and per peer that put it (counts are rebuilt from the database when opened).
public struct DHTRecordStore: Sendable {
    public struct Limits: Sendable, Equatable {
        public var maxRecords: Int
        public var maxRecordsPerPeer: Int

        public init(maxRecords: Int = 10_000, maxRecordsPerPeer: Int = 256) {
            self.maxRecords = maxRecords
            self.maxRecordsPerPeer = maxRecordsPerPeer
        }
    }

    public enum Outcome: Sendable, Equatable {
        case stored
        case unchanged
        case rejected(FeedHeadRecordError)
        case storeFull
        case peerOverQuota
    }

    static let recordsSpec = DatabaseSpec("dhtRecords")
    /// Stored value: putter ID length (1 byte), putter ID bytes, record value.
    static let maxPutterLength = 255

    public let limits: Limits
    private let environment: Environment
    private let records: Database
    private var perPeer: [[UInt8]: Int] = [:]
    public private(set) var count = 0

    public init(path: String, limits: Limits = Limits()) throws {
        self.limits = limits
        environment = try Environment(path: path, configuration: EnvironmentConfiguration(initialMapSize: 8 << 20, maxMapSize: 1 << 30, maxDatabases: 4))
        records = try environment.write { txn in try txn.createDatabase(Self.recordsSpec) }
        var perPeer: [[UInt8]: Int] = [:]
        var total = 0
        try environment.read { txn in
            try txn.forEach(records) { entry in
                if let putter = Self.split(entry.value)?.putter { perPeer[putter, default: 0] += 1 }
                total += 1
                return true
            }
        }
        self.perPeer = perPeer
        self.count = total
    }

    static func split(_ stored: UnsafeRawBufferPointer) -> (putter: [UInt8], value: [UInt8])? {
        guard let length = stored.first.map(Int.init), stored.count > length else { return nil }
        return (Array(stored[1...length]), Array(stored[(1 + length)...]))
    }

    /// Validates and stores `value` under `key` for `putter` (the peer ID's bytes).
    public mutating func put(key: [UInt8], value: [UInt8], from putter: [UInt8]) throws -> Outcome {
        let offered: SignedFeedHead
        do {
            offered = try FeedHeadValidator.validate(key: key, value: value)
        } catch {
            return .rejected(error)
        }
        let putter = Array(putter.prefix(Self.maxPutterLength))
        let existing = try environment.read { txn in try txn.withValue(records, key: key) { Self.split($0) } } ?? nil
        if let existing {
            let stored = try? FeedHeadValidator.validate(key: key, value: existing.value)
            do {
                try FeedHeadValidator.select(stored: stored, offered: offered)
            } catch {
                return .rejected(error)
            }
            if existing.value == value { return .unchanged }
        } else {
            guard count < limits.maxRecords else { return .storeFull }
            guard perPeer[putter, default: 0] < limits.maxRecordsPerPeer else { return .peerOverQuota }
        }
        let stored = [UInt8(putter.count)] + putter + value
        try environment.write { txn in try txn.put(records, key: key, value: stored) }
        if let existing {
            release(existing.putter)
        } else {
            count += 1
        }
        perPeer[putter, default: 0] += 1
        return .stored
    }

    private mutating func release(_ putter: [UInt8]) {
        let remaining = perPeer[putter, default: 1] - 1
        perPeer[putter] = remaining > 0 ? remaining : nil
    }

    /// The stored value under `key`, if any and still valid (a damaged file cannot make us
    /// serve a record that does not verify).
    public func get(key: [UInt8]) throws -> [UInt8]? {
        guard let stored = try environment.read({ txn in try txn.withValue(records, key: key) { Self.split($0) } }) ?? nil else { return nil }
        return (try? FeedHeadValidator.validate(key: key, value: stored.value)) != nil ? stored.value : nil
    }

    public func recordCount(of putter: [UInt8]) -> Int { perPeer[Array(putter.prefix(Self.maxPutterLength)), default: 0] }
}
