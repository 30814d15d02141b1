/// One published version of a package as the resolver sees it.
public struct ResolverCandidate: Sendable, Hashable {
    public var version: SemanticVersion
    public var dependencies: [PackageIdentity: VersionRange]
    public var isYanked: Bool

    public init(version: SemanticVersion, dependencies: [PackageIdentity: VersionRange] = [:], isYanked: Bool = false) {
        self.version = version
        self.dependencies = dependencies
        self.isYanked = isYanked
    }
}

/// Who asked for a package: the user, or a chosen version of another package.
public enum Requirer: Sendable, Hashable, CustomStringConvertible {
    case root
    case package(PackageIdentity, SemanticVersion)

    public var description: String {
        switch self {
        case .root: "the request"
        case .package(let key, let version): "\(key) \(version)"
        }
    }
}

public struct Requirement: Sendable, Hashable, CustomStringConvertible {
    public let requirer: Requirer
    public let range: VersionRange

    public init(requirer: Requirer, range: VersionRange) {
        self.requirer = requirer
        self.range = range
    }

    public var description: String { "\(range) (from \(requirer))" }
}

public enum ResolutionError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Nothing is published under this name.
    case missingPackage(PackageIdentity, requiredBy: [Requirement])
    /// No single version satisfies every requirement on this package.
    case conflict(PackageIdentity, requirements: [Requirement], available: [SemanticVersion], yanked: [SemanticVersion])
    case tooManySteps(limit: Int)
    case tooManyPackages(limit: Int)
    case providerFailed(PackageIdentity, reason: String)

    public var description: String {
        switch self {
        case .missingPackage(let key, let requiredBy):
            return "package \(key) is not known; required by " + requiredBy.map { $0.requirer.description }.joined(separator: ", ")
        case .conflict(let key, let requirements, let available, let yanked):
            let wanted = requirements.map(\.description).joined(separator: " and ")
            var text = requirements.count == 1
                ? "no version of \(key) matches \(wanted)"
                : "no version of \(key) satisfies \(wanted) together"
            let shown = available.sorted(by: >).prefix(8).map(\.description)
            text += shown.isEmpty ? "; no usable versions are published" : "; available: " + shown.joined(separator: ", ")
            if available.count > shown.count { text += ", …" }
            if !yanked.isEmpty {
                text += "; yanked (pin exactly with =VERSION to use): "
                    + yanked.sorted(by: >).prefix(8).map(\.description).joined(separator: ", ")
            }
            return text
        case .tooManySteps(let limit):
            return "dependency resolution gave up after \(limit) steps"
        case .tooManyPackages(let limit):
            return "dependency graph has more than \(limit) packages"
        case .providerFailed(let key, let reason):
            return "could not list versions of \(key): \(reason)"
        }
    }
}

/// Chooses one version per package so that every requirement holds, preferring the highest
/// versions, by depth-first search with backtracking.
///
/// The search is iterative (no recursion, so deep graphs cannot exhaust the stack) and
/// bounded by `maxSteps` candidate trials. A decided package is never re-decided, so a
/// dependency cycle just checks its edge against the decision already made. Yanked versions
/// are skipped unless a requirement pins that exact version. On failure the error reports
/// the conflict found deepest in the search, which names the requirements that clash.
public struct Resolver: Sendable {
    public var maxSteps: Int
    public var maxPackages: Int

    public init(maxSteps: Int = 100_000, maxPackages: Int = 10_000) {
        self.maxSteps = maxSteps
        self.maxPackages = maxPackages
    }

    /// - Parameter provider: every published version of a package, or nil when the package is unknown.
    public func resolve(
        _ root: [PackageIdentity: VersionRange],
        provider: (PackageIdentity) throws -> [ResolverCandidate]?
    ) throws(ResolutionError) -> [PackageIdentity: SemanticVersion] {
        var search = Search(limits: self)
        for (key, range) in root.sorted(by: { $0.key < $1.key }) {
            search.requirements[key, default: []].append(Requirement(requirer: .root, range: range))
        }
        return try search.run(provider: provider)
    }
}

private struct Search {
    struct Frame {
        let package: PackageIdentity
        let candidates: [ResolverCandidate]
        var index = 0
        var added: [PackageIdentity] = []
    }

    enum Choice {
        case done
        case dead(ResolutionError)
        case choose(PackageIdentity, [ResolverCandidate])
    }

    typealias Provider = (PackageIdentity) throws -> [ResolverCandidate]?

    let limits: Resolver
    var decisions: [PackageIdentity: SemanticVersion] = [:]
    var requirements: [PackageIdentity: [Requirement]] = [:]
    /// Published versions per package, highest first; empty when the package is unknown.
    var catalog: [PackageIdentity: [ResolverCandidate]] = [:]
    var stack: [Frame] = []
    var steps = 0
    var deepest: (depth: Int, error: ResolutionError)?

    init(limits: Resolver) {
        self.limits = limits
    }

    mutating func run(provider: Provider) throws(ResolutionError) -> [PackageIdentity: SemanticVersion] {
        while true {
            switch try nextChoice(provider: provider) {
            case .done:
                return decisions
            case .dead(let error):
                record(error)
                guard var top = stack.popLast() else { throw failure() }
                undo(top)
                top.index += 1
                stack.append(top)
                guard try advance() else { throw failure() }
            case .choose(let key, let candidates):
                stack.append(Frame(package: key, candidates: candidates))
                guard try advance() else { throw failure() }
            }
        }
    }

    func failure() -> ResolutionError {
        deepest?.error ?? .tooManySteps(limit: limits.maxSteps)
    }

    mutating func record(_ error: ResolutionError) {
        if deepest == nil || decisions.count > deepest!.depth { deepest = (decisions.count, error) }
    }

    /// Applies the first workable candidate of the top frame, backtracking into parents when a frame runs out.
    mutating func advance() throws(ResolutionError) -> Bool {
        while var frame = stack.popLast() {
            while frame.index < frame.candidates.count {
                steps += 1
                guard steps <= limits.maxSteps else { throw .tooManySteps(limit: limits.maxSteps) }
                let candidate = frame.candidates[frame.index]
                if let conflict = clash(candidate, of: frame.package) {
                    record(conflict)
                    frame.index += 1
                    continue
                }
                decisions[frame.package] = candidate.version
                let requirer = Requirer.package(frame.package, candidate.version)
                frame.added = candidate.dependencies.keys.sorted()
                for dependency in frame.added {
                    requirements[dependency, default: []].append(Requirement(requirer: requirer, range: candidate.dependencies[dependency]!))
                }
                stack.append(frame)
                return true
            }
            guard var parent = stack.popLast() else { return false }
            undo(parent)
            parent.index += 1
            stack.append(parent)
        }
        return false
    }

    mutating func undo(_ frame: Frame) {
        decisions[frame.package] = nil
        for dependency in frame.added.reversed() {
            requirements[dependency]!.removeLast()
            if requirements[dependency]!.isEmpty { requirements[dependency] = nil }
        }
    }

    /// A dependency of `candidate` that an existing decision (or the candidate itself) already breaks.
    func clash(_ candidate: ResolverCandidate, of package: PackageIdentity) -> ResolutionError? {
        for (dependency, range) in candidate.dependencies.sorted(by: { $0.key < $1.key }) {
            let decided = dependency == package ? candidate.version : decisions[dependency]
            guard let decided, !range.contains(decided) else { continue }
            let requirement = Requirement(requirer: .package(package, candidate.version), range: range)
            return conflict(dependency, requirements[dependency, default: []] + [requirement])
        }
        return nil
    }

    func conflict(_ package: PackageIdentity, _ requirements: [Requirement]) -> ResolutionError {
        let all = catalog[package] ?? []
        return .conflict(
            package, requirements: requirements,
            available: all.filter { !$0.isYanked }.map(\.version),
            yanked: all.filter(\.isYanked).map(\.version))
    }

    mutating func nextChoice(provider: Provider) throws(ResolutionError) -> Choice {
        var best: (key: PackageIdentity, candidates: [ResolverCandidate])?
        for (key, wanted) in requirements.sorted(by: { $0.key < $1.key }) where decisions[key] == nil {
            let published = try versions(of: key, provider: provider)
            guard !published.isEmpty else { return .dead(.missingPackage(key, requiredBy: wanted)) }
            let pinned = Set(wanted.compactMap(\.range.exactVersion))
            let usable = published.filter { candidate in
                (!candidate.isYanked || pinned.contains(candidate.version))
                    && wanted.allSatisfy { $0.range.contains(candidate.version) }
            }
            guard !usable.isEmpty else { return .dead(conflict(key, wanted)) }
            if best == nil || usable.count < best!.candidates.count { best = (key, usable) }
        }
        guard let best else { return .done }
        return .choose(best.key, best.candidates)
    }

    mutating func versions(of key: PackageIdentity, provider: Provider) throws(ResolutionError) -> [ResolverCandidate] {
        if let known = catalog[key] { return known }
        guard catalog.count < limits.maxPackages else { throw .tooManyPackages(limit: limits.maxPackages) }
        let listed: [ResolverCandidate]?
        do {
            listed = try provider(key)
        } catch {
            throw .providerFailed(key, reason: "\(error)")
        }
        // Highest first; a version listed twice keeps its first entry.
        var seen: Set<SemanticVersion> = []
        let sorted = (listed ?? []).filter { seen.insert($0.version).inserted }.sorted { $0.version > $1.version }
        catalog[key] = sorted
        return sorted
    }
}
