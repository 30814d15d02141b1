import AgoraStore

/// Layout 1: the initial databases.
enum Layout1 {
    static let databases: [DatabaseSpec] = [
        StoreDatabases.metaSpec, StoreDatabases.logSpec, StoreDatabases.eventIndexSpec, StoreDatabases.feedsSpec,
        StoreDatabases.feedEntriesSpec, StoreDatabases.evidenceSpec, StoreDatabases.blobsSpec, StoreDatabases.blobChunksSpec,
        StoreDatabases.pinsSpec, StoreDatabases.releasesSpec, StoreDatabases.packageEventsSpec, StoreDatabases.principalsSpec,
        StoreDatabases.scopesSpec, StoreDatabases.postingsSpec, StoreDatabases.namesSpec, StoreDatabases.fuzzySpec,
        StoreDatabases.docsSpec, StoreDatabases.scoresSpec, StoreDatabases.authorIndexSpec, StoreDatabases.scopeEventsSpec,
        StoreDatabases.scopeAuthorsSpec, StoreDatabases.rotationsSpec,
    ]

    static let step = MigrationStep(version: 1, summary: "create the log, feed, blob, pin and view databases") { txn in
        for spec in databases { _ = try txn.createDatabase(spec) }
    }
}
