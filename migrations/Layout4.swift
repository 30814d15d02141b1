import AgoraStore

/// Layout 4: the archive cache's bookkeeping (issue 8): last use per blob, pins (own
/// releases, installed archives), and the markers of streamed blobs still being written.
/// Spelled out literally, as shipped.
enum Layout4 {
    static let step = MigrationStep(version: 4, summary: "add the archive cache's use, pin and pending-blob databases") { txn in
        for name in ["blobUses", "blobPins", "blobPending"] { _ = try txn.createDatabase(DatabaseSpec(name)) }
    }
}
