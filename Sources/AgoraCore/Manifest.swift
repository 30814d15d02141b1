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

    public init(
        scope: String, name: String, version: String, description: String = "",
        keywords: [String] = [], tags: [String] = [], license: String? = nil,
        authors: [String] = [], dependencies: [String: String] = [:]
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
    }

    enum CodingKeys: String, CodingKey {
        case scope, name, version, description, keywords, tags, license, authors, dependencies
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
    }

    /// Cannot fail: every field is a String, [String], String? or [String: String], and
    /// JSONEncoder throws only for non-finite floating-point values or a custom `encode(to:)`
    /// that throws, neither of which a Manifest has.
    public func canonicalJSON() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try! encoder.encode(self))
    }

    public static func decode(json: some Collection<UInt8>) throws -> Manifest {
        try JSONDecoder().decode(Manifest.self, from: Data(json))
    }
}
