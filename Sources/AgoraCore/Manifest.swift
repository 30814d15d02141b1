import Foundation

/// A package's metadata as its author wrote it in `agora.json`, and as a release event carries it.
///
/// Events store the manifest as canonical JSON (sorted keys, no insignificant whitespace) so the
/// same manifest always yields the same bytes and therefore the same signed event.
public struct Manifest: Codable, Sendable, Hashable {
    public static let fileName = "agora.json"

    public var scope: String
    public var name: String
    public var version: String
    public var description: String
    public var keywords: [String]
    public var tags: [String]
    public var license: String?
    public var authors: [String]
    /// `scope/name` → semver range, e.g. `"acme/json": "^1.2.0"`.
    public var dependencies: [String: String]
    /// Source repositories the publisher says the package comes from (SwiftPM's
    /// `repositoryURLs`), as given; `GET /identifiers?url=` matches them normalised.
    public var repositoryURLs: [String]

    public init(
        scope: String, name: String, version: String, description: String = "",
        keywords: [String] = [], tags: [String] = [], license: String? = nil,
        authors: [String] = [], dependencies: [String: String] = [:], repositoryURLs: [String] = []
    ) {
        self.scope = scope
        self.name = name
        self.version = version
        self.description = description
        self.keywords = keywords
        self.tags = tags
        self.license = license
        self.authors = authors
        self.dependencies = dependencies
        self.repositoryURLs = repositoryURLs
    }

    enum CodingKeys: String, CodingKey {
        case scope, name, version, description, keywords, tags, license, authors, dependencies, repositoryURLs
    }

    /// Missing optional lists decode as empty so hand-written manifests stay short.
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        scope = try container.decode(String.self, forKey: .scope)
        name = try container.decode(String.self, forKey: .name)
        version = try container.decode(String.self, forKey: .version)
        description = try container.decodeIfPresent(String.self, forKey: .description) ?? ""
        keywords = try container.decodeIfPresent([String].self, forKey: .keywords) ?? []
        tags = try container.decodeIfPresent([String].self, forKey: .tags) ?? []
        license = try container.decodeIfPresent(String.self, forKey: .license)
        authors = try container.decodeIfPresent([String].self, forKey: .authors) ?? []
        dependencies = try container.decodeIfPresent([String: String].self, forKey: .dependencies) ?? [:]
        repositoryURLs = try container.decodeIfPresent([String].self, forKey: .repositoryURLs) ?? []
    }

    /// Like the synthesised encoding, except that an empty `repositoryURLs` is left out: the
    /// canonical bytes of every manifest without one stay what they were before the field.
    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(scope, forKey: .scope)
        try container.encode(name, forKey: .name)
        try container.encode(version, forKey: .version)
        try container.encode(description, forKey: .description)
        try container.encode(keywords, forKey: .keywords)
        try container.encode(tags, forKey: .tags)
        try container.encodeIfPresent(license, forKey: .license)
        try container.encode(authors, forKey: .authors)
        try container.encode(dependencies, forKey: .dependencies)
        if !repositoryURLs.isEmpty { try container.encode(repositoryURLs, forKey: .repositoryURLs) }
    }

    /// Cannot fail: every field is a String, [String], String? or [String: String], and
    /// JSONEncoder throws only for non-finite floating-point values or for what an
    /// `encode(to:)` throws itself; Manifest's `encode(to:)` only hands those fields to the
    /// keyed container, which throws for neither.
    public func canonicalJSON() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try! encoder.encode(self))
    }

    public static func decode(json: some Collection<UInt8>) throws -> Manifest {
        try JSONDecoder().decode(Manifest.self, from: Data(json))
    }
}
