/// A package key with the bytes the views store it under (`scope/name`), made once per event
/// (on every core: in `PreparedBatch` for a prepared batch, with the body in a rebuild): the
/// fold's sets and the sorts of packages use the bytes, which would otherwise be rebuilt from
/// the key's two strings at each use.
struct PackageKeyBytes: Sendable {
    let key: PackageKey
    let bytes: [UInt8]

    init(_ key: PackageKey) {
        self.key = key
        var bytes: [UInt8] = []
        bytes.reserveCapacity(key.scope.utf8.count + 1 + key.name.utf8.count)
        bytes.append(contentsOf: key.scope.utf8)
        bytes.append(UInt8(ascii: "/"))
        bytes.append(contentsOf: key.name.utf8)
        self.bytes = bytes
    }
}
