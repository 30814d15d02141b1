/// A package identity, `scope/name`, under the naming rules of SwiftPM's registry so every
/// Agora package can be served to SwiftPM as `scope.name`.
///
/// Scopes and names are case-insensitive: `Acme/JSON` and `acme/json` are one package.
/// Equality, hashing and ordering use the lowercase `key`; `scope` and `name` keep the
/// spelling the author chose, for display.
public struct PackageIdentity: Sendable, Hashable, Comparable, CustomStringConvertible {
    public static let maxScopeLength = 39
    public static let maxNameLength = 100

    public let scope: String
    public let name: String
    /// Lowercase `scope/name`: the identity used for comparison and as a storage key.
    public let key: String

    public init(scope: String, name: String) throws(PackageNameError) {
        try Self.validateScope(scope)
        try Self.validateName(name)
        self.scope = scope
        self.name = name
        self.key = Self.asciiLowercased(scope) + "/" + Self.asciiLowercased(name)
    }

    /// Accepts `scope/name` and SwiftPM's `scope.name`.
    public init(parsing text: String) throws(PackageNameError) {
        guard text.utf8.count <= Self.maxScopeLength + Self.maxNameLength + 1 else {
            throw PackageNameError(text: String(text.prefix(40)) + "…", rule: "a package identity is at most \(Self.maxScopeLength + Self.maxNameLength + 1) characters")
        }
        let separator = text.firstIndex(of: "/") ?? text.firstIndex(of: ".")
        guard let separator else {
            throw PackageNameError(text: text, rule: "expected scope/name (or scope.name)")
        }
        let scope = String(text[..<separator])
        let name = String(text[text.index(after: separator)...])
        do {
            try self.init(scope: scope, name: name)
        } catch {
            throw PackageNameError(text: text, rule: error.rule)
        }
    }

    /// The form SwiftPM uses in registry URLs and `Package.swift`: `scope.name`.
    public var swiftPMIdentity: String { scope + "." + name }

    public var description: String { scope + "/" + name }

    public static func == (lhs: PackageIdentity, rhs: PackageIdentity) -> Bool { lhs.key == rhs.key }
    public func hash(into hasher: inout Hasher) { hasher.combine(key) }
    public static func < (lhs: PackageIdentity, rhs: PackageIdentity) -> Bool { lhs.key < rhs.key }

    /// Scope: 1–39 ASCII letters, digits and hyphens; a hyphen neither first, last, nor doubled.
    public static func validateScope(_ scope: String) throws(PackageNameError) {
        try validate(scope, what: "scope", maxLength: maxScopeLength, separators: [UInt8(ascii: "-")],
                     allowed: "letters, digits and \"-\"")
    }

    /// Name: 1–100 ASCII letters, digits, hyphens and underscores; a separator neither first, last, nor next to another.
    public static func validateName(_ name: String) throws(PackageNameError) {
        try validate(name, what: "name", maxLength: maxNameLength, separators: [UInt8(ascii: "-"), UInt8(ascii: "_")],
                     allowed: "letters, digits, \"-\" and \"_\"")
    }

    private static func validate(
        _ text: String, what: String, maxLength: Int, separators: Set<UInt8>, allowed: String
    ) throws(PackageNameError) {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty else { throw PackageNameError(text: text, rule: "the \(what) is empty") }
        guard bytes.count <= maxLength else {
            throw PackageNameError(text: text, rule: "the \(what) is longer than \(maxLength) characters")
        }
        for (index, byte) in bytes.enumerated() {
            if isAlphanumeric(byte) { continue }
            guard separators.contains(byte) else {
                let character = text.unicodeScalars.first { !$0.isASCII || !isAllowed(UInt8($0.value), separators) }
                throw PackageNameError(
                    text: text, rule: "the \(what) contains \"\(character.map(String.init) ?? "?")\"; only ASCII \(allowed) are allowed")
            }
            guard index > 0 else {
                throw PackageNameError(text: text, rule: "the \(what) must start with a letter or digit")
            }
            guard index + 1 < bytes.count else {
                throw PackageNameError(text: text, rule: "the \(what) must end with a letter or digit")
            }
            guard isAlphanumeric(bytes[index + 1]) else {
                throw PackageNameError(text: text, rule: "the \(what) has two separators in a row")
            }
        }
    }

    private static func isAllowed(_ byte: UInt8, _ separators: Set<UInt8>) -> Bool {
        isAlphanumeric(byte) || separators.contains(byte)
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a)
    }

    static func asciiLowercased(_ text: String) -> String {
        String(decoding: text.utf8.map { $0 >= 0x41 && $0 <= 0x5a ? $0 + 0x20 : $0 }, as: UTF8.self)
    }
}

/// What a user asks for on the command line: `scope/name` or `scope/name@range`.
public struct PackageRequest: Sendable, Hashable, CustomStringConvertible {
    public let package: PackageIdentity
    public let range: VersionRange

    public init(package: PackageIdentity, range: VersionRange = .any) {
        self.package = package
        self.range = range
    }

    public init(parsing text: String) throws(PackageRequestError) {
        let trimmed = text.trimmingSpaces()
        let at = trimmed.firstIndex(of: "@")
        let identity = at.map { String(trimmed[..<$0]) } ?? trimmed
        do {
            package = try PackageIdentity(parsing: identity)
        } catch {
            throw .name(error)
        }
        guard let at else {
            range = .any
            return
        }
        do {
            range = try VersionRange(parsing: String(trimmed[trimmed.index(after: at)...]))
        } catch {
            throw .range(error)
        }
    }

    public var description: String { range == .any ? package.description : "\(package)@\(range)" }
}

public enum PackageRequestError: Error, Equatable, Sendable, CustomStringConvertible {
    case name(PackageNameError)
    case range(VersionRangeError)

    public var description: String {
        switch self {
        case .name(let error): error.description
        case .range(let error): error.description
        }
    }
}

public struct PackageNameError: Error, Equatable, Sendable, CustomStringConvertible {
    public let text: String
    /// The naming rule the text broke.
    public let rule: String

    public init(text: String, rule: String) {
        self.text = text
        self.rule = rule
    }

    public var description: String { "invalid package name \"\(text)\": \(rule)" }
}
