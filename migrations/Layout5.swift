import AgoraStore

/// Layout 5: view version 8 reads what a key rotation must re-fold from the key's feed and the
/// transfer set instead of an author index written with every release (one B-tree insert and
/// one randomly placed dirty page less per event). The old database is no view's any more, so
/// nothing would ever clear it: this step deletes it. Spelled out literally, as shipped.
enum Layout5 {
    static let step = MigrationStep(version: 5, summary: "drop the author index (authorIndex)") { txn in
        try txn.dropDatabase(DatabaseSpec("authorIndex", flags: [.duplicateSort]))
    }
}
