import AgoraStore
import AgoraTestSupport
import AgoraViews

/// Fixed, seeded query lists over a corpus; each query remembers the package it came from.
public struct SearchQueries {
    public struct Query: Sendable {
        public let text: String
        public let expected: String
    }

    public static let count = 1_000

    /// Names people look up: the ranked (most downloaded) packages.
    public static func exact(_ corpus: PackageCorpus) -> [Query] {
        var rng = SeededGenerator(seed: 1)
        return sample(corpus, using: &rng).map { Query(text: $0.name, expected: $0.name) }
    }

    /// The same kind of names, each with one random insert, delete, substitution or transposition.
    public static func oneTypo(_ corpus: PackageCorpus) -> [Query] {
        var rng = SeededGenerator(seed: 2)
        return sample(corpus, using: &rng).map { Query(text: OneEdit.apply(to: $0.name, using: &rng), expected: $0.name) }
    }

    /// Two neighbouring words (letters only, three or more) of a real summary.
    public static func twoWords(_ corpus: PackageCorpus) -> [Query] {
        var rng = SeededGenerator(seed: 3)
        var out: [Query] = []
        var attempts = 0
        while out.count < count, attempts < count * 1_000 {
            attempts += 1
            let record = corpus.records.randomElement(using: &rng)!
            let words = Tokenizer.textTokens(record.summary).filter { $0.count >= 3 && $0.allSatisfy { $0.isASCII && $0.isLetter } }
            guard words.count >= 2 else { continue }
            let first = Int.random(in: 0..<(words.count - 1), using: &rng)
            out.append(Query(text: "\(words[first]) \(words[first + 1])", expected: record.name))
        }
        return out
    }

    private static func sample(_ corpus: PackageCorpus, using rng: inout SeededGenerator) -> [PyPIRecord] {
        let ranked = corpus.records.filter { $0.downloadRank != nil }
        let pool = ranked.count >= count ? ranked : corpus.records
        return (0..<count).map { _ in pool.randomElement(using: &rng)! }
    }
}
