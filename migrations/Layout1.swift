import AgoraStore

/// Layout 1: the initial databases, frozen as shipped. The names and flags are written out
/// rather than taken from live specs, so changing a view's databases later cannot change what
/// this step did to stores already in the field.
enum Layout1 {
    static let databases: [DatabaseSpec] = [
        DatabaseSpec("meta"), DatabaseSpec("log"), DatabaseSpec("eventIndex"), DatabaseSpec("feeds"),
        DatabaseSpec("feedEntries"), DatabaseSpec("evidence"), DatabaseSpec("blobs"), DatabaseSpec("blobChunks"),
        DatabaseSpec("pins"), DatabaseSpec("releases"), DatabaseSpec("packageEvents", flags: [.duplicateSort, .duplicateFixed]),
        DatabaseSpec("principals"), DatabaseSpec("scopes"), DatabaseSpec("postings", flags: [.duplicateSort, .duplicateFixed]),
        DatabaseSpec("names", flags: [.duplicateSort, .duplicateFixed]), DatabaseSpec("fuzzy", flags: [.duplicateSort, .duplicateFixed]),
        DatabaseSpec("docs"), DatabaseSpec("scores"), DatabaseSpec("authorIndex", flags: [.duplicateSort]),
        DatabaseSpec("scopeEvents", flags: [.duplicateSort, .duplicateFixed]), DatabaseSpec("scopeAuthors"),
        DatabaseSpec("rotations", flags: [.duplicateSort, .duplicateFixed]),
    ]

    static let step = MigrationStep(version: 1, summary: "create the log, feed, blob, pin and view databases") { txn in
        for spec in databases { _ = try txn.createDatabase(spec) }
    }
}
