/// A set of versions written the way npm and Cargo users write them.
///
/// Every form desugars into a disjunction of comparator sets: `^1.2.3` is `>=1.2.3 <2.0.0-0`.
/// Upper bounds end in `-0`, the lowest possible prerelease, so `<2.0.0-0` also excludes
/// `2.0.0-beta`. A prerelease version only matches a set that names a prerelease of the
/// same `major.minor.patch` (npm's rule): `^1.2.3` never picks `1.3.0-beta` by accident.
public struct VersionRange: Sendable, Hashable, CustomStringConvertible {
    public static let maxLength = 1024
    public static let maxComparators = 64

    public struct Comparator: Sendable, Hashable, CustomStringConvertible {
        public enum Operator: String, Sendable, Hashable {
            case equal = "="
            case less = "<"
            case lessOrEqual = "<="
            case greater = ">"
            case greaterOrEqual = ">="
        }

        public let op: Operator
        public let version: SemanticVersion

        public init(_ op: Operator, _ version: SemanticVersion) {
            self.op = op
            self.version = version
        }

        /// `=` with build metadata is exact about it too: a pin on `1.0.0+a` never picks
        /// `1.0.0+b`, although the two have one precedence.
        public func matches(_ candidate: SemanticVersion) -> Bool {
            switch op {
            case .equal: candidate == version && (version.build.isEmpty || candidate.build == version.build)
            case .less: candidate < version
            case .lessOrEqual: candidate <= version
            case .greater: candidate > version
            case .greaterOrEqual: candidate >= version
            }
        }

        public var description: String {
            op == .equal ? version.description : op.rawValue + version.description
        }
    }

    /// Alternatives joined by `||`; each is a conjunction. An empty conjunction matches every release.
    public let alternatives: [[Comparator]]
    /// The range as the user wrote it, trimmed.
    public let text: String

    public static let any = VersionRange(alternatives: [[]], text: "*")

    public static func exactly(_ version: SemanticVersion) -> VersionRange {
        VersionRange(alternatives: [[Comparator(.equal, version)]], text: "=\(version)")
    }

    private init(alternatives: [[Comparator]], text: String) {
        self.alternatives = alternatives
        self.text = text
    }

    public init(parsing input: String) throws(VersionRangeError) {
        guard input.utf8.count <= Self.maxLength else {
            throw VersionRangeError(text: String(input.prefix(40)) + "…", reason: "longer than \(Self.maxLength) bytes")
        }
        let trimmed = input.trimmingSpaces()
        guard !trimmed.isEmpty else { throw VersionRangeError(text: input, reason: "empty range (write \"*\" for any version)") }
        var parser = RangeParser(text: trimmed)
        self.init(alternatives: try parser.parse(), text: trimmed)
    }

    public var description: String { text }

    /// The single version this range pins, if it is `=X` / `X`: pinning exactly is how a user
    /// opts into a yanked release.
    public var exactVersion: SemanticVersion? {
        guard alternatives.count == 1, alternatives[0].count == 1, alternatives[0][0].op == .equal else { return nil }
        return alternatives[0][0].version
    }

    public func contains(_ version: SemanticVersion) -> Bool {
        alternatives.contains { set in
            guard set.allSatisfy({ $0.matches(version) }) else { return false }
            guard version.isPrerelease else { return true }
            return set.contains { $0.version.isPrerelease && $0.version.release == version.release }
        }
    }

    public func highest(in versions: some Sequence<SemanticVersion>) -> SemanticVersion? {
        versions.filter(contains).max()
    }

    public static func == (lhs: VersionRange, rhs: VersionRange) -> Bool { lhs.alternatives == rhs.alternatives }
    public func hash(into hasher: inout Hasher) { hasher.combine(alternatives) }
}

public struct VersionRangeError: Error, Equatable, Sendable, CustomStringConvertible {
    public let text: String
    public let reason: String

    public init(text: String, reason: String) {
        self.text = text
        self.reason = reason
    }

    public var description: String { "invalid version range \"\(text)\": \(reason)" }
}

extension StringProtocol {
    func trimmingSpaces() -> String {
        let text = String(self)
        guard let first = text.firstIndex(where: { !$0.isWhitespace }),
              let last = text.lastIndex(where: { !$0.isWhitespace }) else { return "" }
        return String(text[first...last])
    }
}

/// A version where trailing parts may be missing or wildcards (`1`, `1.2`, `1.x`, `*`).
private struct PartialVersion {
    var major: UInt64?
    var minor: UInt64?
    var patch: UInt64?
    var prerelease: [String] = []
    var build: [String] = []

    var isFull: Bool { patch != nil }

    /// The lowest version it covers, or nil for `*`.
    var floor: SemanticVersion? {
        guard let major else { return nil }
        return SemanticVersion(major, minor ?? 0, patch ?? 0, prerelease: prerelease, build: build)
    }

    /// The first version after everything it covers (as an exclusive `-0` bound), or nil when
    /// nothing lies above it (`*`, or a major of UInt64.max).
    var ceilingOfWildcard: SemanticVersion? {
        guard let major else { return nil }
        guard let minor else { return Self.after(major) }
        return Self.after(major, minor)
    }

    /// The exclusive bound above every `major.*`; nil when the major is the largest there is.
    /// The `after` family carries instead of overflowing: nothing follows `1.max` but `2.0.0`,
    /// and a caller given nil leaves the range unbounded above, which is exactly what it covers.
    static func after(_ major: UInt64) -> SemanticVersion? {
        major == .max ? nil : upper(major + 1, 0, 0)
    }

    static func after(_ major: UInt64, _ minor: UInt64) -> SemanticVersion? {
        minor == .max ? after(major) : upper(major, minor + 1, 0)
    }

    static func after(_ major: UInt64, _ minor: UInt64, _ patch: UInt64) -> SemanticVersion? {
        patch == .max ? after(major, minor) : upper(major, minor, patch + 1)
    }

    static func upper(_ major: UInt64, _ minor: UInt64, _ patch: UInt64) -> SemanticVersion {
        SemanticVersion(major, minor, patch, prerelease: ["0"])
    }
}

private struct RangeParser {
    typealias Comparator = VersionRange.Comparator
    let text: String
    var count = 0

    init(text: String) { self.text = text }

    mutating func parse() throws(VersionRangeError) -> [[Comparator]] {
        var result: [[Comparator]] = []
        for alternative in Self.alternatives(of: text) {
            let part = alternative.trimmingSpaces()
            guard !part.isEmpty else { throw fail("empty alternative around \"||\"") }
            result.append(try conjunction(part))
        }
        return result
    }

    static func alternatives(of text: String) -> [Substring] {
        var result: [Substring] = []
        var start = text.startIndex
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(after: index)
            if text[index] == "|", next < text.endIndex, text[next] == "|" {
                result.append(text[start..<index])
                index = text.index(after: next)
                start = index
            } else {
                index = next
            }
        }
        result.append(text[start...])
        return result
    }

    func fail(_ reason: String) -> VersionRangeError { VersionRangeError(text: text, reason: reason) }

    mutating func conjunction(_ part: String) throws(VersionRangeError) -> [Comparator] {
        let tokens = part.split(whereSeparator: { $0.isWhitespace }).map(String.init)
        if let dash = tokens.firstIndex(of: "-") {
            guard tokens.count == 3, dash == 1 else {
                throw fail("a hyphen range must be exactly \"LOW - HIGH\", got \"\(part)\"")
            }
            return try hyphen(tokens[0], tokens[2])
        }
        var comparators: [Comparator] = []
        var index = 0
        while index < tokens.count {
            var token = tokens[index]
            // Allow a space between an operator and its version: `>= 1.2.3`.
            if Self.operators.contains(token) {
                guard index + 1 < tokens.count else { throw fail("operator \"\(token)\" has no version after it") }
                index += 1
                token += tokens[index]
            }
            comparators += try simple(token)
            index += 1
        }
        return comparators
    }

    static let operators: Set<String> = [">=", "<=", ">", "<", "=", "^", "~"]

    mutating func add(_ comparators: [Comparator]) throws(VersionRangeError) -> [Comparator] {
        count += comparators.count
        guard count <= VersionRange.maxComparators else {
            throw fail("more than \(VersionRange.maxComparators) comparators")
        }
        return comparators
    }

    mutating func hyphen(_ low: String, _ high: String) throws(VersionRangeError) -> [Comparator] {
        let from = try partial(low)
        let to = try partial(high)
        var result: [Comparator] = []
        if let floor = from.floor { result.append(Comparator(.greaterOrEqual, floor)) }
        if to.isFull, let exact = to.floor {
            result.append(Comparator(.lessOrEqual, exact))
        } else if let ceiling = to.ceilingOfWildcard {
            result.append(Comparator(.less, ceiling))
        }
        return try add(result)
    }

    mutating func simple(_ token: String) throws(VersionRangeError) -> [Comparator] {
        let op: String
        if token.hasPrefix(">=") || token.hasPrefix("<=") {
            op = String(token.prefix(2))
        } else if let first = token.first, "<>=^~".contains(first) {
            op = String(first)
        } else {
            op = ""
        }
        let body = String(token.dropFirst(op.count))
        guard !body.isEmpty else { throw fail("operator \"\(op)\" has no version after it") }
        guard body.first.map({ "<>=^~".contains($0) }) != true else {
            throw fail("unexpected operator in \"\(token)\"")
        }
        let version = try partial(body)
        let result: [Comparator]
        switch op {
        case "", "=": result = exact(version)
        case "^": result = caret(version)
        case "~": result = tilde(version)
        case ">": result = greater(version)
        case ">=": result = version.floor.map { [Comparator(.greaterOrEqual, $0)] } ?? []
        case "<": result = less(version)
        default: result = lessOrEqual(version)
        }
        return try add(result)
    }

    func exact(_ version: PartialVersion) -> [Comparator] {
        guard let floor = version.floor else { return [] }
        if version.isFull { return [Comparator(.equal, floor)] }
        return [Comparator(.greaterOrEqual, floor)] + (version.ceilingOfWildcard.map { [Comparator(.less, $0)] } ?? [])
    }

    /// `^` allows changes that keep the leftmost non-zero part: `^1.2.3` <2.0.0, `^0.2.3` <0.3.0, `^0.0.3` <0.0.4.
    func caret(_ version: PartialVersion) -> [Comparator] {
        guard let floor = version.floor, let major = version.major else { return [] }
        let ceiling: SemanticVersion?
        if major > 0 {
            ceiling = PartialVersion.after(major)
        } else if let minor = version.minor {
            if minor > 0 {
                ceiling = PartialVersion.after(0, minor)
            } else if let patch = version.patch {
                ceiling = PartialVersion.after(0, 0, patch)
            } else {
                ceiling = PartialVersion.upper(0, 1, 0)
            }
        } else {
            ceiling = PartialVersion.upper(1, 0, 0)
        }
        return Self.from(floor, below: ceiling)
    }

    /// `~` allows patch changes when a minor is given, minor changes otherwise.
    func tilde(_ version: PartialVersion) -> [Comparator] {
        guard let floor = version.floor, let major = version.major else { return [] }
        let ceiling = version.minor.map { PartialVersion.after(major, $0) } ?? PartialVersion.after(major)
        return Self.from(floor, below: ceiling)
    }

    static func from(_ floor: SemanticVersion, below ceiling: SemanticVersion?) -> [Comparator] {
        [Comparator(.greaterOrEqual, floor)] + (ceiling.map { [Comparator(.less, $0)] } ?? [])
    }

    /// A set no version satisfies: `<0.0.0-0`.
    static let nothing = [Comparator(.less, SemanticVersion(0, 0, 0, prerelease: ["0"]))]

    func greater(_ version: PartialVersion) -> [Comparator] {
        guard let floor = version.floor else { return Self.nothing }
        if version.isFull { return [Comparator(.greater, floor)] }
        // Nothing lies above `max.x`: the set is empty, not unbounded.
        return version.ceilingOfWildcard.map { [Comparator(.greaterOrEqual, $0.release)] } ?? Self.nothing
    }

    func less(_ version: PartialVersion) -> [Comparator] {
        guard let floor = version.floor else { return Self.nothing }
        if version.isFull { return [Comparator(.less, floor)] }
        return [Comparator(.less, SemanticVersion(floor.major, floor.minor, floor.patch, prerelease: ["0"]))]
    }

    func lessOrEqual(_ version: PartialVersion) -> [Comparator] {
        guard let floor = version.floor else { return [] }
        if version.isFull { return [Comparator(.lessOrEqual, floor)] }
        return version.ceilingOfWildcard.map { [Comparator(.less, $0)] } ?? []
    }

    func partial(_ body: String) throws(VersionRangeError) -> PartialVersion {
        if body.contains("-") || body.contains("+") {
            // Only a complete version may carry prerelease or build parts; SemanticVersion checks them.
            do {
                let full = try SemanticVersion(parsing: body)
                return PartialVersion(
                    major: full.major, minor: full.minor, patch: full.patch,
                    prerelease: full.prerelease, build: full.build)
            } catch {
                throw fail(error.reason + " (in \"\(body)\")")
            }
        }
        let parts = body.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 3 else { throw fail("\"\(body)\" has more than three components") }
        var numbers: [UInt64?] = []
        var sawWildcard = false
        let names = ["major", "minor", "patch"]
        for (index, part) in parts.enumerated() {
            if part == "x" || part == "X" || part == "*" {
                sawWildcard = true
                numbers.append(nil)
                continue
            }
            guard !sawWildcard else { throw fail("\"\(body)\": a number cannot follow a wildcard") }
            do {
                numbers.append(try SemanticVersion.number(part, name: names[index], text: body))
            } catch {
                throw fail(error.reason + " (in \"\(body)\")")
            }
        }
        while numbers.count < 3 { numbers.append(nil) }
        return PartialVersion(major: numbers[0], minor: numbers[1], patch: numbers[2])
    }
}
