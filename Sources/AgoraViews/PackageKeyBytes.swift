/// A package key with the bytes the views store it under (`scope/name`), made once per event
/// (in `PreparedBatch`, on every core, for a prepared batch): the fold's sets and the sort of
/// its dirty packages use the bytes, which would otherwise be rebuilt from the key's two
/// strings at each use.
struct PackageKeyBytes: Sendable {
    let key: PackageKey
    let bytes: [UInt8]

    init(_ key: PackageKey) {
        self.key = key
        bytes = Array(key.description.utf8)
    }
}
