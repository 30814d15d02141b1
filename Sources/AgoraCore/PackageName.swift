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
        try validate(scope, .scope)
    }

    /// Name: 1–100 ASCII letters, digits, hyphens and underscores; a separator neither first, last, nor next to another.
    public static func validateName(_ name: String) throws(PackageNameError) {
        try validate(name, .name)
    }

    /// `validateScope` without an error to build: the registry views ask it of every scope a
    /// peer's event names, and index only what passes.
    public static func isValidScope(_ scope: String) -> Bool {
        violation(in: scope, .scope) == nil
    }

    /// `validateName` without an error to build (see `isValidScope`).
    public static func isValidName(_ name: String) -> Bool {
        violation(in: name, .name) == nil
    }

    /// ASCII capitals made small, every other byte kept: case folding for identities, which are
    /// ASCII, with no Unicode case mapping. Text without capitals (stored keys) is returned as
    /// it is, its bytes tested in place.
    public static func asciiLowercased(_ text: String) -> String {
        func isCapital(_ byte: UInt8) -> Bool { byte &- UInt8(ascii: "A") < 26 }
        let hasCapital = text.utf8.withContiguousStorageIfAvailable { $0.contains(where: isCapital) } ?? text.utf8.contains(where: isCapital)
        guard hasCapital else { return text }
        return String(decoding: text.utf8.map { isCapital($0) ? $0 + 0x20 : $0 }, as: UTF8.self)
    }

    /// A scope or a name: what the one rule over bytes (`violation`) varies by.
    private enum Part {
        case scope, name

        var maxLength: Int { self == .scope ? PackageIdentity.maxScopeLength : PackageIdentity.maxNameLength }
        var what: String { self == .scope ? "scope" : "name" }
        var allowed: String { self == .scope ? "letters, digits and \"-\"" : "letters, digits, \"-\" and \"_\"" }

        func isSeparator(_ byte: UInt8) -> Bool {
            byte == UInt8(ascii: "-") || (self == .name && byte == UInt8(ascii: "_"))
        }
    }

    /// The first rule a scope or name breaks, reading left to right.
    private enum Violation {
        case empty, tooLong, disallowed, separatorFirst, separatorLast, separatorsDoubled
    }

    private static func violation(in text: String, _ part: Part) -> Violation? {
        text.utf8.withContiguousStorageIfAvailable { violation(in: $0, part) } ?? violation(in: Array(text.utf8), part)
    }

    private static func violation(in bytes: some Collection<UInt8>, _ part: Part) -> Violation? {
        guard !bytes.isEmpty else { return .empty }
        guard bytes.count <= part.maxLength else { return .tooLong }
        var afterSeparator = false
        var first = true
        for byte in bytes {
            defer { first = false }
            if isAlphanumeric(byte) {
                afterSeparator = false
                continue
            }
            guard part.isSeparator(byte) else { return .disallowed }
            if first { return .separatorFirst }
            if afterSeparator { return .separatorsDoubled }
            afterSeparator = true
        }
        return afterSeparator ? .separatorLast : nil
    }

    private static func validate(_ text: String, _ part: Part) throws(PackageNameError) {
        let what = part.what
        switch violation(in: text, part) {
        case nil:
            return
        case .empty:
            throw PackageNameError(text: text, rule: "the \(what) is empty")
        case .tooLong:
            throw PackageNameError(text: text, rule: "the \(what) is longer than \(part.maxLength) characters")
        case .disallowed:
            let character = text.unicodeScalars.first { !$0.isASCII || !(isAlphanumeric(UInt8($0.value)) || part.isSeparator(UInt8($0.value))) }
            throw PackageNameError(
                text: text, rule: "the \(what) contains \"\(character.map(String.init) ?? "?")\"; only ASCII \(part.allowed) are allowed")
        case .separatorFirst:
            throw PackageNameError(text: text, rule: "the \(what) must start with a letter or digit")
        case .separatorLast:
            throw PackageNameError(text: text, rule: "the \(what) must end with a letter or digit")
        case .separatorsDoubled:
            throw PackageNameError(text: text, rule: "the \(what) has two separators in a row")
        }
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a)
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
