import Foundation

/// Bounds on what a manifest may carry: manifests travel inside signed events, which are
/// capped at `Event.maxSize`, and feed the search index, so every list and string is bounded.
public struct ManifestLimits: Sendable, Hashable {
    public var maxFileSize = 64 * 1024
    public var maxDescriptionLength = 4096
    public var maxKeywords = 20
    public var maxKeywordLength = 50
    public var maxTags = 20
    public var maxAuthors = 20
    public var maxAuthorLength = 200
    public var maxLicenseLength = 100
    public var maxDependencies = 200
    public var maxRepositoryURLs = 8

    public init() {}
}

/// A manifest that passed validation, with its fields parsed into their real types.
public struct ValidatedManifest: Sendable, Hashable {
    /// The manifest with keywords and tags normalised (trimmed, lowercase, deduplicated).
    public let manifest: Manifest
    public let package: PackageIdentity
    public let version: SemanticVersion
    public let dependencies: [PackageIdentity: VersionRange]
}

public struct ManifestValidationError: Error, Equatable, Sendable, CustomStringConvertible {
    public struct Issue: Equatable, Sendable, CustomStringConvertible {
        /// The manifest field at fault, as a JSON path (`version`, `keywords[2]`, `dependencies.acme/json`).
        public let field: String
        public let problem: String

        public var description: String { "\(field): \(problem)" }
    }

    public let issues: [Issue]

    public var description: String {
        "invalid manifest: " + issues.map(\.description).joined(separator: "; ")
    }
}

/// A manifest file that could not be read as JSON of the right shape.
public struct ManifestDecodeError: Error, Equatable, Sendable, CustomStringConvertible {
    public let file: String
    public let problem: String

    public init(file: String, problem: String) {
        self.file = file
        self.problem = problem
    }

    public var description: String { "\(file): \(problem)" }
}

extension Manifest {
    /// Decodes a manifest file, turning `DecodingError` into a message a person can act on.
    public static func decode(
        file: String, json: [UInt8], limits: ManifestLimits = ManifestLimits()
    ) throws(ManifestDecodeError) -> Manifest {
        guard json.count <= limits.maxFileSize else {
            throw ManifestDecodeError(file: file, problem: "file is \(json.count) bytes, the limit is \(limits.maxFileSize)")
        }
        let data = Data(json)
        do {
            return try JSONDecoder().decode(Manifest.self, from: data)
        } catch {
            throw ManifestDecodeError(file: file, problem: JSONProblem.describe(error, decoding: data))
        }
    }

    /// Checks every field and collects all problems, so an author fixes them in one pass.
    public func validated(limits: ManifestLimits = ManifestLimits()) throws(ManifestValidationError) -> ValidatedManifest {
        var issues: [ManifestValidationError.Issue] = []
        func issue(_ field: String, _ problem: String) {
            issues.append(.init(field: field, problem: problem))
        }

        do { try PackageIdentity.validateScope(scope) } catch { issue("scope", error.rule) }
        do { try PackageIdentity.validateName(name) } catch { issue("name", error.rule) }
        let package = try? PackageIdentity(scope: scope, name: name)
        var parsedVersion: SemanticVersion?
        do { parsedVersion = try SemanticVersion(parsing: version) } catch { issue("version", error.description) }

        if description.count > limits.maxDescriptionLength {
            issue("description", "longer than \(limits.maxDescriptionLength) characters")
        }
        let keywords = normaliseWords(keywords, field: "keywords", max: limits.maxKeywords, limits: limits, issue: issue)
        let tags = normaliseWords(tags, field: "tags", max: limits.maxTags, limits: limits, issue: issue)
        if authors.count > limits.maxAuthors { issue("authors", "more than \(limits.maxAuthors) authors") }
        for (index, author) in authors.enumerated() {
            if author.trimmingSpaces().isEmpty { issue("authors[\(index)]", "empty") }
            if author.count > limits.maxAuthorLength { issue("authors[\(index)]", "longer than \(limits.maxAuthorLength) characters") }
        }
        if let license {
            if license.trimmingSpaces().isEmpty { issue("license", "empty (leave it out instead)") }
            if license.count > limits.maxLicenseLength { issue("license", "longer than \(limits.maxLicenseLength) characters") }
        }
        if repositoryURLs.count > limits.maxRepositoryURLs {
            issue("repositoryURLs", "more than \(limits.maxRepositoryURLs) URLs")
        }
        for (index, url) in repositoryURLs.enumerated() where RepositoryURL.canonical(url) == nil || url.contains(where: \.isNewline) {
            issue("repositoryURLs[\(index)]", "not a repository URL (1–\(RepositoryURL.maxLength) bytes, one line)")
        }

        var dependencies: [PackageIdentity: VersionRange] = [:]
        if self.dependencies.count > limits.maxDependencies {
            issue("dependencies", "more than \(limits.maxDependencies) dependencies")
        }
        for (identity, rangeText) in self.dependencies.sorted(by: { $0.key < $1.key }) {
            let field = "dependencies.\(identity)"
            let key: PackageIdentity
            do {
                key = try PackageIdentity(parsing: identity)
            } catch {
                issue(field, error.description)
                continue
            }
            if key == package { issue(field, "a package cannot depend on itself") }
            if dependencies[key] != nil { issue(field, "listed twice (names are case-insensitive)") }
            do {
                dependencies[key] = try VersionRange(parsing: rangeText)
            } catch {
                issue(field, error.description)
            }
        }

        guard issues.isEmpty, let package, let parsedVersion else { throw ManifestValidationError(issues: issues) }
        var normalised = self
        normalised.keywords = keywords
        normalised.tags = tags
        return ValidatedManifest(manifest: normalised, package: package, version: parsedVersion, dependencies: dependencies)
    }

    private func normaliseWords(
        _ words: [String], field: String, max: Int, limits: ManifestLimits,
        issue: (String, String) -> Void
    ) -> [String] {
        if words.count > max { issue(field, "more than \(max) entries") }
        var seen: Set<String> = []
        var result: [String] = []
        for (index, word) in words.enumerated() {
            let clean = word.trimmingSpaces().lowercased()
            if clean.isEmpty {
                issue("\(field)[\(index)]", "empty")
            } else if clean.count > limits.maxKeywordLength {
                issue("\(field)[\(index)]", "longer than \(limits.maxKeywordLength) characters")
            } else if seen.insert(clean).inserted {
                result.append(clean)
            }
        }
        return result
    }
}

/// Turns a JSON decoding failure into one line a person can act on.
public enum JSONProblem {
    public static func describe(_ error: any Error, decoding data: Data) -> String {
        guard let decoding = error as? DecodingError else { return "could not be decoded (\(error))" }
        if case .dataCorrupted(let context) = decoding, context.codingPath.isEmpty {
            return "not valid JSON" + (syntaxDetail(data).map { " (\($0))" } ?? "")
        }
        return decoding.explanation
    }

    /// `JSONDecoder` only says the data is not JSON; the serializer also says where and why.
    private static func syntaxDetail(_ data: Data) -> String? {
        do {
            _ = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
            return nil
        } catch {
            return (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String
        }
    }
}

extension DecodingError {
    /// Says what is wrong and where, as a person reading their JSON file needs it:
    /// `missing field "version"`, `wrong type at "keywords[1]": expected a string`.
    public var explanation: String {
        func path(_ context: DecodingError.Context, appending key: CodingKey? = nil) -> String {
            var parts: [String] = []
            for key in context.codingPath + (key.map { [$0] } ?? []) {
                if let index = key.intValue {
                    parts.append("[\(index)]")
                } else {
                    parts.append((parts.isEmpty ? "" : ".") + key.stringValue)
                }
            }
            return parts.isEmpty ? "the top level" : parts.joined()
        }
        switch self {
        case .keyNotFound(let key, let context):
            return "missing field \"\(path(context, appending: key))\""
        case .typeMismatch(let type, let context):
            return "wrong type at \"\(path(context))\": expected \(describe(type))"
        case .valueNotFound(let type, let context):
            return "null at \"\(path(context))\": expected \(describe(type))"
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty {
                return "not valid JSON" + (context.underlyingError.map { " (\($0))" } ?? "")
            }
            return "invalid value at \"\(path(context))\": \(context.debugDescription)"
        @unknown default:
            return "could not be decoded"
        }
    }

    private func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is [String].Type: "a list of strings"
        case is [String: String].Type: "an object of strings"
        default: "\(type)"
        }
    }
}
