/// A version number as Semantic Versioning 2.0.0 defines it.
///
/// Equality and hashing follow precedence, so build metadata is ignored: SemVer says two
/// versions that differ only in build metadata have the same precedence, and `Comparable`
/// needs `==` to agree with `<`. `text` keeps the exact string, build metadata included.
public struct SemanticVersion: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Longer strings are refused before any work: a bound on every decoder.
    public static let maxLength = 256

    public let major: UInt64
    public let minor: UInt64
    public let patch: UInt64
    /// Dot-separated prerelease identifiers (`["beta", "2"]` for `-beta.2`); empty for a release.
    public let prerelease: [String]
    /// Dot-separated build identifiers; never used for ordering.
    public let build: [String]

    public init(_ major: UInt64, _ minor: UInt64, _ patch: UInt64, prerelease: [String] = [], build: [String] = []) {
        self.major = major
        self.minor = minor
        self.patch = patch
        self.prerelease = prerelease
        self.build = build
    }

    public init(parsing text: String) throws(SemanticVersionError) {
        func fail(_ reason: String) -> SemanticVersionError { SemanticVersionError(text: text, reason: reason) }
        guard !text.isEmpty else { throw fail("empty version") }
        guard text.utf8.count <= Self.maxLength else {
            throw SemanticVersionError(text: String(text.prefix(40)) + "…", reason: "longer than \(Self.maxLength) bytes")
        }
        var rest = Substring(text)
        var build: [String] = []
        if let plus = rest.firstIndex(of: "+") {
            build = try Self.identifiers(rest[rest.index(after: plus)...], section: "build metadata", text: text, numericRule: false)
            rest = rest[..<plus]
        }
        var prerelease: [String] = []
        if let dash = rest.firstIndex(of: "-") {
            prerelease = try Self.identifiers(rest[rest.index(after: dash)...], section: "prerelease", text: text, numericRule: true)
            rest = rest[..<dash]
        }
        let core = rest.split(separator: ".", omittingEmptySubsequences: false)
        if rest.first == "v" || rest.first == "V" { throw fail("remove the leading \"v\"") }
        guard core.count == 3 else {
            throw fail("expected MAJOR.MINOR.PATCH, found \(core.count) component\(core.count == 1 ? "" : "s")")
        }
        let names = ["major", "minor", "patch"]
        var numbers: [UInt64] = []
        for (index, part) in core.enumerated() {
            numbers.append(try Self.number(part, name: names[index], text: text))
        }
        self.init(numbers[0], numbers[1], numbers[2], prerelease: prerelease, build: build)
    }

    public var isPrerelease: Bool { !prerelease.isEmpty }

    /// The part of a version string that says which version it is: everything before `+`.
    /// Build metadata never makes a new version, so every place that keys, dedups or looks up
    /// releases by version uses this (it works on any string, SemVer or not).
    public static func identityKey(_ text: String) -> Substring {
        text.firstIndex(of: "+").map { text[..<$0] } ?? text[...]
    }

    /// The same version without prerelease or build parts: `1.2.3-beta+x` → `1.2.3`.
    public var release: SemanticVersion { SemanticVersion(major, minor, patch) }

    public var description: String {
        var text = "\(major).\(minor).\(patch)"
        if !prerelease.isEmpty { text += "-" + prerelease.joined(separator: ".") }
        if !build.isEmpty { text += "+" + build.joined(separator: ".") }
        return text
    }

    public static func == (lhs: SemanticVersion, rhs: SemanticVersion) -> Bool {
        lhs.major == rhs.major && lhs.minor == rhs.minor && lhs.patch == rhs.patch && lhs.prerelease == rhs.prerelease
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(major)
        hasher.combine(minor)
        hasher.combine(patch)
        hasher.combine(prerelease)
    }

    public static func < (lhs: SemanticVersion, rhs: SemanticVersion) -> Bool {
        if lhs.major != rhs.major { return lhs.major < rhs.major }
        if lhs.minor != rhs.minor { return lhs.minor < rhs.minor }
        if lhs.patch != rhs.patch { return lhs.patch < rhs.patch }
        // A prerelease sorts before its release.
        switch (lhs.prerelease.isEmpty, rhs.prerelease.isEmpty) {
        case (true, _): return false
        case (false, true): return true
        case (false, false): break
        }
        for (left, right) in zip(lhs.prerelease, rhs.prerelease) where left != right {
            return identifierPrecedes(left, right)
        }
        return lhs.prerelease.count < rhs.prerelease.count
    }

    /// Numeric identifiers compare as numbers (by length first: they have no leading zeros,
    /// so any size works without overflow) and sort before alphanumeric ones.
    private static func identifierPrecedes(_ left: String, _ right: String) -> Bool {
        let leftNumeric = isNumeric(left)
        let rightNumeric = isNumeric(right)
        switch (leftNumeric, rightNumeric) {
        case (true, true):
            if left.utf8.count != right.utf8.count { return left.utf8.count < right.utf8.count }
            return left.utf8.lexicographicallyPrecedes(right.utf8)
        case (true, false): return true
        case (false, true): return false
        case (false, false): return left.utf8.lexicographicallyPrecedes(right.utf8)
        }
    }

    static func isNumeric(_ text: some StringProtocol) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }

    static func number(_ part: Substring, name: String, text: String) throws(SemanticVersionError) -> UInt64 {
        guard !part.isEmpty else { throw SemanticVersionError(text: text, reason: "\(name) version is empty") }
        guard isNumeric(part) else {
            throw SemanticVersionError(text: text, reason: "\(name) version \"\(part)\" is not a number")
        }
        guard part.count == 1 || part.first != "0" else {
            throw SemanticVersionError(text: text, reason: "\(name) version \"\(part)\" has a leading zero")
        }
        guard let value = UInt64(part) else {
            throw SemanticVersionError(text: text, reason: "\(name) version \"\(part)\" is too large")
        }
        return value
    }

    private static func identifiers(
        _ part: Substring, section: String, text: String, numericRule: Bool
    ) throws(SemanticVersionError) -> [String] {
        var result: [String] = []
        for identifier in part.split(separator: ".", omittingEmptySubsequences: false) {
            guard !identifier.isEmpty else {
                throw SemanticVersionError(text: text, reason: "\(section) has an empty identifier")
            }
            guard identifier.utf8.allSatisfy(isIdentifierByte) else {
                throw SemanticVersionError(
                    text: text, reason: "\(section) identifier \"\(identifier)\" may only hold [0-9A-Za-z-]")
            }
            if numericRule, isNumeric(identifier), identifier.count > 1, identifier.first == "0" {
                throw SemanticVersionError(
                    text: text, reason: "\(section) identifier \"\(identifier)\" has a leading zero")
            }
            result.append(String(identifier))
        }
        return result
    }

    private static func isIdentifierByte(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a) || byte == 0x2d
    }
}

public struct SemanticVersionError: Error, Equatable, Sendable, CustomStringConvertible {
    public let text: String
    public let reason: String

    public init(text: String, reason: String) {
        self.text = text
        self.reason = reason
    }

    public var description: String { "invalid version \"\(text)\": \(reason)" }
}
