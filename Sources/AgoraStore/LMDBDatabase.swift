import CLMDB

/// How a named database sorts and stores its entries; fixed when the database is created.
public struct DatabaseFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// Several values per key, kept sorted (values are limited to the max key size, 511 bytes).
    public static let duplicateSort = DatabaseFlags(rawValue: UInt32(MDB_DUPSORT))
    /// With `duplicateSort`: all values of a key have one size, so LMDB packs them
    /// contiguously and `MDB_GET_MULTIPLE` hands out whole pages of them.
    public static let duplicateFixed = DatabaseFlags(rawValue: UInt32(MDB_DUPFIXED))
}

/// What a named database is: its name and flags. Layout steps create databases from specs;
/// the store opens them from the same specs.
public struct DatabaseSpec: Sendable, Hashable {
    public let name: String
    public let flags: DatabaseFlags

    public init(_ name: String, flags: DatabaseFlags = []) {
        self.name = name
        self.flags = flags
    }
}

/// An open named database. The handle is valid for the environment's lifetime.
public struct Database: Sendable, Hashable, CustomStringConvertible {
    public let spec: DatabaseSpec
    let handle: MDB_dbi

    public var name: String { spec.name }
    public var description: String { spec.name }
}
