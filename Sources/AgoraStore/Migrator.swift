import Foundation

/// One layout change: moves a store from `version - 1` to `version` inside one write
/// transaction, so a crash leaves either the old layout or the new one.
public struct MigrationStep: Sendable {
    public let version: UInt32
    public let summary: String
    public let run: @Sendable (WriteTransaction) throws -> Void

    public init(version: UInt32, summary: String, run: @escaping @Sendable (WriteTransaction) throws -> Void) {
        self.version = version
        self.summary = summary
        self.run = run
    }
}

/// What opening did to the layout.
public struct MigrationReport: Sendable, Equatable {
    public let from: UInt32
    public let to: UInt32
    public var applied: [UInt32] { from < to ? Array((from + 1)...to) : [] }
}

/// Applies registered steps in order. The layout version lives in the meta database under
/// `layout`; a store with no meta database is at version 0 (empty).
public struct Migrator: Sendable {
    static let layoutKey = Array("layout".utf8)

    public let steps: [MigrationStep]

    /// Steps must be numbered 1, 2, 3 … with none missing.
    public init(steps: [MigrationStep]) throws {
        for (index, step) in steps.enumerated() where step.version != UInt32(index + 1) {
            throw StoreError.migrationOutOfOrder(expected: UInt32(index + 1), found: step.version)
        }
        self.steps = steps
    }

    /// The newest layout this binary knows.
    public var latestVersion: UInt32 { UInt32(steps.count) }

    public static func layoutVersion(of environment: Environment) throws -> UInt32 {
        try environment.read { txn in
            guard let meta = try txn.openDatabase(StoreDatabases.metaSpec) else { return 0 }
            return try layoutVersion(meta: meta, in: txn)
        }
    }

    static func layoutVersion(meta: Database, in txn: some ReadableTransaction) throws -> UInt32 {
        guard let stored = try txn.get(meta, key: layoutKey) else { return 0 }
        guard let version = BigEndian.uint32(stored) else {
            throw StoreError.corrupt("layout version record is \(stored.count) bytes, expected 4")
        }
        return version
    }

    /// Brings the store to `latestVersion`; refuses a store newer than that.
    @discardableResult
    public func migrate(_ environment: Environment) throws -> MigrationReport {
        let start = try Self.layoutVersion(of: environment)
        guard start <= latestVersion else { throw StoreError.layoutTooNew(store: start, binary: latestVersion) }
        for step in steps where step.version > start {
            try environment.write { txn in
                let meta = try txn.createDatabase(StoreDatabases.metaSpec)
                let current = try Self.layoutVersion(meta: meta, in: txn)
                // Another process may have migrated since we looked; its steps are ours.
                guard current < step.version else { return }
                guard current == step.version - 1 else {
                    throw StoreError.corrupt("layout version \(current) cannot take step \(step.version)")
                }
                try step.run(txn)
                try txn.put(meta, key: Self.layoutKey, value: BigEndian.bytes(step.version))
            }
        }
        let end = try Self.layoutVersion(of: environment)
        guard end <= latestVersion else { throw StoreError.layoutTooNew(store: end, binary: latestVersion) }
        return MigrationReport(from: start, to: end)
    }
}
