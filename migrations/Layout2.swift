import AgoraStore

/// Layout 2: the set of events behind each peer score, so scores are a fold over a set (an
/// event counted once) rather than sums a rebuild racing an append could count twice. The
/// views are rebuilt on open because the view version changed with it.
enum Layout2 {
    static let step = MigrationStep(version: 2, summary: "add the peer score event sets") { txn in
        _ = try txn.createDatabase(DatabaseSpec("peerEvents", flags: [.duplicateSort, .duplicateFixed]))
    }
}
