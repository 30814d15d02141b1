import AgoraStore

/// Layout 3: view version 5 replaced the SymSpell typo index (`fuzzy`, a key per deleted
/// character of every name) with `typos` (two keys per name), which the views create when
/// they rebuild. The old database is no view's any more, so nothing would ever clear it:
/// this step deletes it. Spelled out literally, as shipped.
enum Layout3 {
    static let step = MigrationStep(version: 3, summary: "drop the old typo index (fuzzy)") { txn in
        try txn.dropDatabase(DatabaseSpec("fuzzy", flags: [.duplicateSort, .duplicateFixed]))
    }
}
