import AgoraViews
import Foundation

/// One line of the PyPI metadata sample used to load realistic packages into search.
public struct PyPIRecord: Sendable, Hashable {
    /// PEP 503 normal form.
    public var name: String
    public var version: String
    /// Position among the most downloaded packages, when it is one of them.
    public var downloadRank: Int?
    public var summary: String

    public init(name: String, version: String, downloadRank: Int?, summary: String) {
        self.name = Tokenizer.normaliseName(name)
        self.version = version
        self.downloadRank = downloadRank
        self.summary = summary
    }

    /// The search document for this package, in scope `pypi`.
    public func document() -> SearchDocument {
        SearchDocument(summary: SearchSummary(
            package: PackageKey(scope: PyPIMetadata.scope, name: name), name: name, version: version, description: summary))
    }
}

public struct PyPIMetadataError: Error, Equatable, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Reads `pypi-100k.tsv` (`name\tversion\tdownload_rank\tsummary`, first line a header).
public enum PyPIMetadata {
    public static let scope = "pypi"
    public static let fileName = "pypi-100k.tsv"
    public static let maxFileSize = 256 * 1024 * 1024
    public static let maxLineLength = 64 * 1024

    /// `AGORA_PYPI_TSV` when set (a checkout that is not beside `shared/`, such as a worktree),
    /// else `../shared/data/pypi-100k.tsv` relative to the package root.
    public static func sampleLocation(packageRoot: URL) -> URL {
        if let path = ProcessInfo.processInfo.environment["AGORA_PYPI_TSV"], !path.isEmpty {
            return URL(fileURLWithPath: path)
        }
        return packageRoot.deletingLastPathComponent().appendingPathComponent("shared/data/\(fileName)")
    }

    public static func load(from url: URL, maxRecords: Int = 1_000_000) throws -> [PyPIRecord] {
        let attributes = try FileManager.default.attributesOfItem(atPath: url.path)
        if let size = attributes[.size] as? Int, size > maxFileSize {
            throw PyPIMetadataError("\(url.path) is \(size) bytes, over the \(maxFileSize)-byte limit")
        }
        return try parse(Array(try Data(contentsOf: url)), maxRecords: maxRecords)
    }

    /// Duplicate names (after normalisation) keep their first line.
    public static func parse(_ bytes: [UInt8], maxRecords: Int = 1_000_000) throws -> [PyPIRecord] {
        var records: [PyPIRecord] = []
        var names = Set<String>()
        var lineNumber = 0
        for line in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            guard line.count <= maxLineLength else { throw PyPIMetadataError("line \(lineNumber) is longer than \(maxLineLength) bytes") }
            let text = String(decoding: line, as: UTF8.self).trimmingCharacters(in: CharacterSet(charactersIn: "\r"))
            if lineNumber == 1 {
                guard text.hasPrefix("name\tversion\tdownload_rank") else { throw PyPIMetadataError("line 1 is not the expected header") }
                continue
            }
            if text.isEmpty { continue }
            let fields = text.split(separator: "\t", maxSplits: 3, omittingEmptySubsequences: false)
            guard fields.count >= 3, !fields[0].isEmpty else { throw PyPIMetadataError("line \(lineNumber) has \(fields.count) fields") }
            var rank: Int?
            if !fields[2].isEmpty {
                guard let value = Int(fields[2]), value > 0 else { throw PyPIMetadataError("line \(lineNumber) has a bad download rank") }
                rank = value
            }
            let record = PyPIRecord(
                name: String(fields[0]), version: String(fields[1]), downloadRank: rank,
                summary: fields.count > 3 ? String(fields[3]) : "")
            guard names.insert(record.name).inserted else { continue }
            guard records.count < maxRecords else { throw PyPIMetadataError("more than \(maxRecords) records") }
            records.append(record)
        }
        return records
    }
}
