import AgoraRegistry
import AgoraStore
import AgoraViews
import ArgumentParser
import Foundation

extension SearchSort: ExpressibleByArgument {}

struct SearchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Search the local index: exact name, prefix, one-typo names, then keywords and descriptions, ranked with popularity.")

    @OptionGroup var options: HomeOptions

    @Argument(help: "Words to look for.")
    var query: [String]

    @Option(help: "Only packages with this keyword or tag.")
    var keyword: String?

    @Option(help: "Only packages by this author (name text or key prefix).")
    var author: String?

    @Option(help: "At most this many results (1–\(SearchFilters.maxLimit)).")
    var limit = 20

    @Flag(help: "Include yanked releases.")
    var includeYanked = false

    @Option(help: "Order: relevance (text blended with popularity), popular (most used first) or recent (newest release first).")
    var sort: SearchSort = .relevance

    struct Row: Encodable {
        let package: String
        let version: String
        let description: String
        let match: String
        let score: Double
        /// Σ log2(1 + retrievals) over the distinct reporters counted (see docs/DESIGN-NOTES.md).
        let popularity: Double
        let reporters: UInt32
        let yanked: Bool
        let contested: Bool
    }

    func run() throws {
        try reportingFailures {
            let registry = try options.openRegistry()
            let clock = ContinuousClock()
            let start = clock.now
            let hits = try registry.search(
                query.joined(separator: " "),
                filters: SearchFilters(keyword: keyword, author: author, includeYanked: includeYanked, limit: limit, sort: sort))
            let elapsed = clock.now - start
            let rows = hits.map { hit in
                Row(package: hit.summary.package.description, version: hit.summary.version, description: hit.summary.description,
                    match: hit.tier.description, score: hit.score, popularity: hit.popularity?.score ?? 0,
                    reporters: hit.popularity?.reporters ?? 0, yanked: hit.summary.yanked, contested: hit.summary.contested)
            }
            if options.json {
                try JSONOutput.print(rows)
                return
            }
            guard !rows.isEmpty else {
                say("No packages match \"\(query.joined(separator: " "))\" (\(elapsed.milliseconds) ms)")
                return
            }
            var table = Table("PACKAGE", "VERSION", "MATCH", "POPULARITY", "DESCRIPTION")
            for row in rows {
                let flags = (row.yanked ? " [yanked]" : "") + (row.contested ? " [contested]" : "")
                let popularity = row.reporters == 0 ? "-" : "\(Int(row.popularity.rounded())) (\(row.reporters))"
                table.add(row.package + flags, row.version, row.match, popularity, String(row.description.prefix(60)))
            }
            say(table.render())
            say("\(rows.count) result\(rows.count == 1 ? "" : "s") in \(elapsed.milliseconds) ms")
        }
    }
}
