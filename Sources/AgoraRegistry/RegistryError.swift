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

    public init(_ description: String, code: Code = .invalidInput) {
        self.code = code
        self.description = description
    }
}
