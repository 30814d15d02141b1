import Foundation
import Testing
import AgoraStore
import AgoraTestSupport
@testable import AgoraViews

/// Search quality on real PyPI names, when the shared sample is present next to the package.
@Suite struct SearchPyPIQualityTests {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let dataFile = PyPIMetadata.sampleLocation(packageRoot: packageRoot)
    static let dataPresent = FileManager.default.fileExists(atPath: dataFile.path)

    @Test func parsesTheTSVFormat() throws {
        let text = "name\tversion\tdownload_rank\tsummary\nTyping_Extensions\t4.16.0\t7\tBackported hints\ncertifi\t\t4\t\nzope.interface\t8.0\t\tInterfaces\r\nZope-Interface\t9\t\tduplicate\n"
        let records = try PyPIMetadata.parse(Array(text.utf8))
        #expect(records.map(\.name) == ["typing-extensions", "certifi", "zope-interface"])
        #expect(records[0].downloadRank == 7)
        #expect(records[1].version == "")
        #expect(records[2].downloadRank == nil)
        #expect(records[2].summary == "Interfaces")
        let document = records[0].document()
        #expect(document.summary.package == PackageKey(scope: "pypi", name: "typing-extensions"))
        #expect(throws: PyPIMetadataError.self) { try PyPIMetadata.parse(Array("nope\n".utf8)) }
        #expect(throws: PyPIMetadataError.self) { try PyPIMetadata.parse(Array("name\tversion\tdownload_rank\tsummary\nx\t1\tfirst\t\n".utf8)) }
        #expect(throws: PyPIMetadataError.self) {
            try PyPIMetadata.parse(Array("name\tversion\tdownload_rank\tsummary\na\t1\t\t\nb\t1\t\t\n".utf8), maxRecords: 1)
        }
    }

    @Test(.enabled(if: dataPresent, "needs ../shared/data/pypi-100k.tsv"))
    func oneTypoFindsRankedPackagesFirst() throws {
        let records = try PyPIMetadata.load(from: Self.dataFile)
        #expect(records.count > 90_000)
        let index = InMemorySearchIndex(documents: records.map { $0.document() })
        let ranked = records.filter { $0.downloadRank != nil }.sorted { $0.downloadRank! < $1.downloadRank! }
        var rng = SeededGenerator(seed: 503)
        let sample = (0..<500).map { _ in ranked.randomElement(using: &rng)! }

        var exactFirst = 0
        for record in sample {
            let hits = try SearchEngine.search(query: record.name, filters: SearchFilters(limit: 5), index: index)
            if hits.first?.summary.package.name == record.name { exactFirst += 1 }
        }
        #expect(exactFirst == sample.count)

        var typoFirst = 0
        for record in sample {
            let typo = OneEdit.apply(to: record.name, using: &rng)
            let hits = try SearchEngine.search(query: typo, filters: SearchFilters(limit: 5), index: index)
            if hits.first?.summary.package.name == record.name { typoFirst += 1 }
        }
        let fraction = Double(typoFirst) / Double(sample.count)
        print("pypi one-typo right-package-first: \(typoFirst)/\(sample.count) = \(fraction)")
        #expect(fraction >= 0.85)
    }
}
