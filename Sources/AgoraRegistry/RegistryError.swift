import AgoraCore

/// A failure a person can act on: the message says what went wrong and, where possible, what to do.
public struct RegistryError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Code: Sendable, Equatable {
        case invalidInput
        case notFound
        case conflict
        case integrity
        case untrusted
        case storage
    }

    public let code: Code
    public let description: String
    /// The package resolution needed and the local log does not know (code `.notFound`): a
    /// network install looks it up in the DHT.
    public let unknownPackage: PackageIdentity?

    public init(_ description: String, code: Code = .invalidInput, unknownPackage: PackageIdentity? = nil) {
        self.code = code
        self.description = description
        self.unknownPackage = unknownPackage
    }
}
