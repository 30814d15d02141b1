import AgoraCore
import Testing
import AgoraStore
import AgoraTestSupport
@testable import AgoraViews

/// The engine ranks only the best candidates of each tier; these check that selecting them
/// gives exactly the prefix a full sort gives.
@Suite struct SearchEngineOrderTests {
    @Test func partialOrderingMatchesAFullSort() {
        var rng = SeededGenerator(seed: 7)
        let items = (0..<2_000).map { _ in (score: Int.random(in: 0..<50, using: &rng), id: UInt64.random(in: 0..<1_000_000, using: &rng)) }
        let order: ((score: Int, id: UInt64), (score: Int, id: UInt64)) -> Bool = { $0.score != $1.score ? $0.score > $1.score : $0.id < $1.id }
        let sorted = items.sorted(by: order)
        for count in [0, 1, 5, 37, 700, 2_000, 3_000] {
            #expect(SearchEngine.smallest(count, of: items, by: order).map(\.id) == sorted.prefix(count).map(\.id), "count \(count)")
        }
        #expect(SearchEngine.smallest(3, of: [5, 1, 4, 1, 2], by: <) == [1, 1, 2])
    }

    /// The counting selection of word matches keeps what a full sort by (words, weight) keeps,
    /// the earliest first among ties at the cut.
    @Test func wordMatchSelectionMatchesAFullSort() {
        var rng = SeededGenerator(seed: 8)
        for queryWords in 1...3 {
            let matches = (0..<3_000).map { position in
                SearchEngine.WordMatch(
                    docID: UInt64(position), words: Int.random(in: 1...queryWords, using: &rng), weight: Int.random(in: 0..<1_500, using: &rng))
            }
            func key(_ match: SearchEngine.WordMatch) -> Int { match.words * 1_024 + min(match.weight, 1_023) }
            let sorted = matches.sorted { key($0) != key($1) ? key($0) > key($1) : $0.docID < $1.docID }
            for count in [1, 10, 512, 2_048, 2_999, 3_000, 4_000] {
                let kept = SearchEngine.bestByText(count, of: matches, queryWords: queryWords)
                #expect(kept.map(\.docID) == sorted.prefix(count).map(\.docID).sorted(), "\(queryWords) words, count \(count)")
            }
        }
    }

    /// Each word's forms as `WordPostings` (as the engine gets them from the index).
    static func withWords<R>(_ forms: [[[UInt8]]], _ body: ([SearchEngine.WordPostings]) -> R) -> R {
        func next(_ remaining: ArraySlice<[[UInt8]]>, _ done: [SearchEngine.WordPostings]) -> R {
            guard let word = remaining.first else { return body(done) }
            return SearchPostings.withEach(word) { lists in SearchEngine.WordPostings.of(lists) { next(remaining.dropFirst(), done + [$0]) } }
        }
        return next(forms[...], [])
    }

    /// The union of a word's forms in the stored layout: each document once, with its largest
    /// weight and bucket.
    static func union(of forms: [[UInt8]]) -> [UInt8] {
        var best: [UInt64: (weight: UInt8, bucket: UInt8)] = [:]
        SearchPostings.withEach(forms) { lists in
            for list in lists {
                for entry in 0..<list.count {
                    let old = best[list.docID(at: entry)] ?? (0, 0)
                    best[list.docID(at: entry)] = (max(old.weight, list.weight(at: entry)), max(old.bucket, list.bucket(at: entry).rawValue))
                }
            }
        }
        return SearchPostings.encode(best.map { (docID: $0.key, weight: $0.value.weight, bucket: PopularityBucket(rawValue: $0.value.bucket)) })
    }

    /// The walk over the rarest word finds exactly the documents `intersect` finds, with the same
    /// tallies, and as partial matches the rest of the rarest word's documents; words of one to
    /// three forms (looked up per form, never merged unless walked) count and find what their
    /// merged lists hold.
    @Test func rarestWalkMatchesTheIntersection() {
        var rng = SeededGenerator(seed: 29)
        var severalForms = 0
        for round in 0..<300 {
            let forms = (0..<Int.random(in: 2...4, using: &rng)).map { _ in
                (0..<Int.random(in: 1...3, using: &rng)).map { form in
                    SearchPostings.encode((0..<Int.random(in: 0...(form == 0 ? 120 : 25), using: &rng)).map { _ in
                        (docID: UInt64.random(in: 0...150, using: &rng), weight: UInt8.random(in: 1...40, using: &rng),
                         bucket: PopularityBucket(rawValue: UInt8.random(in: 0...255, using: &rng)))
                    })
                }
            }
            severalForms += forms.filter { $0.count > 1 }.count
            let merged = forms.map { Self.union(of: $0) }
            Self.withWords(forms) { words in
                SearchPostings.withEach(merged) { postings in
                    #expect(words.map(\.count) == postings.map(\.count), "round \(round)")
                    for (word, list) in zip(words, postings) {
                        #expect(word.withMerged { Array($0.bytes) } == Array(list.bytes), "round \(round)")
                        var cursor = (common: 0, others: 0)
                        for docID in UInt64(0)...151 {
                            let entry = (0..<list.count).first { list.docID(at: $0) == docID }
                            let found = word.find(docID, from: &cursor)
                            #expect(found?.weight == entry.map { list.weight(at: $0) } && found?.bucket == entry.map { list.bucket(at: $0).rawValue })
                        }
                    }
                    func tallies(_ matches: [SearchEngine.WordMatch]) -> [String] { matches.map { "\($0.docID) \($0.words) \($0.weight) \($0.bucket.rawValue)" } }
                    guard let walked = SearchEngine.rarestWordMatches(words) else {
                        Issue.record("round \(round): lists of at most 195 are under the scan limit")
                        return
                    }
                    #expect(walked.map(\.docID) == walked.map(\.docID).sorted(), "round \(round): in ID order")
                    let full = walked.filter { $0.words == postings.count }
                    let partial = walked.filter { $0.words < postings.count }
                    #expect(tallies(full) == tallies(SearchEngine.intersect(words)), "round \(round)")
                    let rarest = postings.min { $0.count < $1.count }!
                    let inRarest = (0..<rarest.count).map { rarest.docID(at: $0) }
                    #expect((full + partial).map(\.docID).sorted() == inRarest, "round \(round)")
                    #expect(partial.allSatisfy { $0.words < postings.count && $0.words >= 1 })
                    // Every match tallied over every merged list, by a plain scan of each.
                    func tally(_ docID: UInt64) -> String {
                        let found = postings.compactMap { list in (0..<list.count).first { list.docID(at: $0) == docID }.map { (list, $0) } }
                        let weight = found.reduce(0) { $0 + Int($1.0.weight(at: $1.1)) }
                        return "\(docID) \(found.count) \(weight) \(found.map { $0.0.bucket(at: $0.1).rawValue }.max() ?? 0)"
                    }
                    #expect(tallies(full + partial) == (full + partial).map { tally($0.docID) }, "round \(round)")
                }
            }
        }
        #expect(severalForms > 200)
    }

    /// The pool taken straight from the postings when every document holding any word is a
    /// match is the one selecting from every match gives: one list or several, one far larger
    /// than the rest (the case it is for) or all alike, documents in several lists, weights from
    /// a narrow range so many ties fall at the cut, and cuts from one to past the total.
    @Test func poolOfTheUnionMatchesSelectingFromEveryMatch() {
        var rng = SeededGenerator(seed: 31)
        var cutsInsideTheLargestList = 0
        for round in 0..<400 {
            let lists = (0..<Int.random(in: 1...4, using: &rng)).map { number in
                let size = number == 0 && Bool.random(using: &rng) ? Int.random(in: 200...1_500, using: &rng) : Int.random(in: 0...60, using: &rng)
                return SearchPostings.encode((0..<size).map { _ in
                    (docID: UInt64.random(in: 0...2_000, using: &rng), weight: UInt8.random(in: [1...3, 1...40, 250...255].randomElement(using: &rng)!, using: &rng),
                     bucket: PopularityBucket(rawValue: UInt8.random(in: 0...255, using: &rng)))
                })
            }
            SearchPostings.withEach(lists) { postings in
                func tallies(_ matches: [SearchEngine.WordMatch]) -> [String] { matches.map { "\($0.docID) \($0.words) \($0.weight) \($0.bucket.rawValue)" } }
                let every = SearchEngine.union(postings)
                for queryWords in Set([postings.count, postings.count + 1]) {
                    for count in [1, 2, 7, 50, 300, every.count - 1, every.count, every.count + 1, 2_048] where count >= 1 {
                        let expected = SearchEngine.bestByText(count, of: every, queryWords: queryWords)
                        #expect(tallies(SearchEngine.bestOfUnion(count, of: postings, queryWords: queryWords)) == tallies(expected), "round \(round), \(count) of \(every.count)")
                        if expected.contains(where: { $0.words == 1 }), expected.count < every.count { cutsInsideTheLargestList += 1 }
                    }
                }
            }
        }
        #expect(cutsInsideTheLargestList > 300)
    }

    /// A page read from the first `limit` candidates selected (all sorted only when filters turn
    /// some of those away) is the page walking every candidate in sorted order gives: each sort
    /// order, scores and popularity from small sets (many ties, broken by finding position),
    /// yanked and out-of-scope documents, summaries already read for exact names, word cuts.
    @Test func pageIsTheSortedCandidatesFirstAccepted() throws {
        var rng = SeededGenerator(seed: 47)
        var turnedAwayAmongTheFirst = 0
        for round in 0..<300 {
            var popularity: [UInt64: PackagePopularity] = [:]
            let documents = (0..<Int.random(in: 1...120, using: &rng)).map { number in
                let summary = SearchSummary(
                    package: PackageKey(scope: ["pypi", "acme"].randomElement(using: &rng)!, name: "p\(round)-\(number)"), name: "p\(number)",
                    version: "1.0", yanked: Int.random(in: 0..<4, using: &rng) == 0, published: UInt64.random(in: 0...3, using: &rng))
                if Bool.random(using: &rng) {
                    popularity[summary.docID] = PackagePopularity(reporters: 1, milliScore: [0, 1_000, 3_000].randomElement(using: &rng)!)
                }
                return SearchDocument(summary: summary)
            }
            let index = InMemorySearchIndex(documents: documents, popularity: popularity)
            var candidates = SearchEngine.Candidates()
            for document in documents.shuffled(using: &rng) {
                let tier = [SearchTier.exactName, .namePrefix, .typo, .token].randomElement(using: &rng)!
                let known: PackagePopularity?? = Bool.random(using: &rng) ? .some(popularity[document.docID]) : nil
                candidates.add(document.docID, tier, [240, 250, 300].randomElement(using: &rng)!, nil, popularity: known)
            }
            candidates.read = candidates.entries.filter { $0.tier == .exactName }.compactMap { entry in documents.first { $0.docID == entry.docID }?.summary }
            let filters = SearchFilters(
                includeYanked: Int.random(in: 0..<4, using: &rng) == 0, limit: Int.random(in: 1...40, using: &rng),
                sort: SearchSort.allCases.randomElement(using: &rng)!)
            let scope = Int.random(in: 0..<4, using: &rng) == 0 ? "acme" : nil
            let wordCut: Double? = filters.sort == .relevance && Bool.random(using: &rng) ? [245, 260, 1_000].randomElement(using: &rng)! : nil

            // Every candidate sorted, then walked.
            func rank(_ entry: SearchEngine.Candidates.Entry) -> Double {
                entry.tier == .exactName ? .infinity : entry.score + (popularity[entry.docID]?.score ?? 0)
            }
            func key(_ entry: SearchEngine.Candidates.Entry) -> Int {
                switch filters.sort {
                case .relevance: 0
                case .popular: Int(popularity[entry.docID]?.milliScore ?? 0)
                case .recent: Int(index.summary(of: entry.docID)?.published ?? 0)
                }
            }
            let sorted = candidates.entries.sorted { lhs, rhs in
                if key(lhs) != key(rhs) { return key(lhs) > key(rhs) }
                return rank(lhs) != rank(rhs) ? rank(lhs) > rank(rhs) : lhs.position < rhs.position
            }
            func accepted(_ docID: UInt64) -> Bool {
                guard let summary = index.summary(of: docID) else { return false }
                return filters.accepts(summary) && (scope.map { summary.package.scope == $0 } ?? true)
            }
            var expected: [UInt64] = []
            var settled = wordCut == nil
            for entry in sorted {
                if let wordCut, rank(entry) < wordCut { break }
                guard accepted(entry.docID) else { continue }
                expected.append(entry.docID)
                if expected.count == filters.limit {
                    settled = true
                    break
                }
            }
            if sorted.prefix(filters.limit).contains(where: { !accepted($0.docID) }) { turnedAwayAmongTheFirst += 1 }
            let page = try candidates.page(index, filters: filters, scope: scope, wordCut: wordCut)
            #expect(page.hits.map(\.docID) == expected, "round \(round)")
            #expect(page.settled == settled, "round \(round)")
            #expect(page.hits.map(\.summary) == expected.map { index.summary(of: $0) }, "round \(round)")
        }
        #expect(turnedAwayAmongTheFirst > 100, "the selection often has to be extended past the first `limit`")
    }

    /// Ranking the best few word matches first gives the page ranking them all gives, whether
    /// the page settles on the few or the engine falls back: names and summaries from a small
    /// vocabulary (so exact names, prefixes, typos and words collide), popularity with ties,
    /// yanked documents the filter skips, pages of 1 to 40.
    @Test func quickWordMatchesGiveTheFullPage() throws {
        var rng = SeededGenerator(seed: 23)
        let vocabulary = ["http", "client", "json", "parser", "parsing", "fast", "api", "data", "tool", "tools", "async", "web", "server", "yaml", "db", "py"]
        func words(_ range: ClosedRange<Int>) -> [String] { (0..<Int.random(in: range, using: &rng)).map { _ in vocabulary.randomElement(using: &rng)! } }
        var (settled, fellBack) = (0, 0)
        for round in 0..<12 {
            var names = Set<String>()
            while names.count < 300 { names.insert(words(1...3).joined(separator: "-") + ["", "", "2", "x"].randomElement(using: &rng)!) }
            var popularity: [UInt64: PackagePopularity] = [:]
            let documents = names.sorted().map { name in
                let summary = SearchSummary(
                    package: PackageKey(scope: "pypi", name: name), name: name, version: "1.0", description: words(2...6).joined(separator: " "),
                    yanked: Int.random(in: 0..<5, using: &rng) == 0)
                if Bool.random(using: &rng) {
                    popularity[summary.docID] = PackagePopularity(reporters: 1, milliScore: [500, 1_000, 3_000, 7_250, 20_000].randomElement(using: &rng)!)
                }
                return SearchDocument(summary: summary)
            }
            let index = PopularityBucketTests.ReadCounting(base: InMemorySearchIndex(documents: documents, popularity: popularity))
            for _ in 0..<40 {
                var query = words(1...2).joined(separator: [" ", "-"].randomElement(using: &rng)!)
                if Bool.random(using: &rng) { query = String(query.dropLast()) }
                let filters = SearchFilters(includeYanked: Bool.random(using: &rng), limit: [1, 3, 10, 20, 40].randomElement(using: &rng)!)
                index.lookups.set(0)
                let full = try SearchEngine.search(query: query, filters: filters, index: index, quickWordMatches: nil)
                let once = index.lookups.current
                for few in [1, 2, 5, 2 * filters.limit] {
                    index.lookups.set(0)
                    #expect(try SearchEngine.search(query: query, filters: filters, index: index, quickWordMatches: few) == full, "round \(round): \(query), \(few)")
                    if index.lookups.current > once { fellBack += 1 } else { settled += 1 }
                }
            }
        }
        // Both ways were taken, often.
        #expect(settled > 500)
        #expect(fellBack > 500)
    }

    /// Prefix candidates are the `prefixCandidates` shortest of the names scanned, ordered by
    /// length, then name bytes, then ID (the rule the engine keeps by scan order alone): names
    /// from a few letters so many share a prefix and a length, some in several scopes (one name,
    /// several IDs), some non-ASCII.
    @Test func prefixCandidatesAreTheShortestInNameOrder() throws {
        var rng = SeededGenerator(seed: 29)
        let letters = ["a", "b", "c", "-", "é"]
        for round in 0..<20 {
            var keys = Set<PackageKey>()
            while keys.count < 400 {
                let name = "ab" + (0..<Int.random(in: 0...9, using: &rng)).map { _ in letters.randomElement(using: &rng)! }.joined()
                keys.insert(PackageKey(scope: ["pypi", "npm", "acme"].randomElement(using: &rng)!, name: name))
            }
            let documents = keys.map { SearchDocument(summary: SearchSummary(package: $0, name: $0.name, version: "1.0", description: "")) }
            let index = InMemorySearchIndex(documents: documents)
            for query in ["ab", "abc", "ab-", "aba", "abé", "abcb"] {
                let name = Tokenizer.normaliseName(query)
                let hits = try SearchEngine.search(query: query, filters: SearchFilters(limit: SearchFilters.maxLimit), index: index)
                let prefixHits = hits.filter { $0.tier == .namePrefix }.map { ($0.summary.name, $0.docID) }
                let scanned = documents.map { ($0.normalisedName, $0.docID) }
                    .filter { $0.0.utf8.starts(with: name.utf8) && $0.0 != name }
                    .sorted { $0.0 != $1.0 ? $0.0.utf8.lexicographicallyPrecedes($1.0.utf8) : $0.1 < $1.1 }
                    .prefix(SearchEngine.prefixScanLimit)
                let expected = scanned.sorted { lhs, rhs in
                    if lhs.0.utf8.count != rhs.0.utf8.count { return lhs.0.utf8.count < rhs.0.utf8.count }
                    return lhs.0 != rhs.0 ? lhs.0.utf8.lexicographicallyPrecedes(rhs.0.utf8) : lhs.1 < rhs.1
                }.prefix(SearchEngine.prefixCandidates)
                #expect(prefixHits.map(\.1) == expected.map(\.1), "round \(round): \(query)")
                #expect(prefixHits.count == min(scanned.count, SearchEngine.prefixCandidates), "round \(round): \(query)")
            }
        }
    }

    /// The byte split of an ASCII query gives the words the Character split gives: every ASCII
    /// byte (control characters, "\r\n" pairs, runs of separators) in seeded strings.
    @Test func asciiQueriesSplitLikeCharacters() {
        var rng = SeededGenerator(seed: 43)
        let pieces = ["a", "bc", " ", "\t", "\r\n", "\r", "\n", "\u{0B}", "\u{0C}", "\u{1C}", "\u{1F}", "\u{7F}", "\u{00}", "-"]
        for _ in 0..<2_000 {
            var query = (0..<Int.random(in: 0...12, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined()
            if Int.random(in: 0..<4, using: &rng) == 0 { query += String(UnicodeScalar(UInt8.random(in: 0..<0x80, using: &rng))) }
            #expect(SearchEngine.whitespaceSeparatedWords(query) == query.split(whereSeparator: { $0.isWhitespace }).map(String.init), "\(Array(query.utf8))")
        }
        // Beyond ASCII, by Character: a no-break space separates too.
        #expect(SearchEngine.whitespaceSeparatedWords("fast\u{A0}api é\r\nb") == ["fast", "api", "é", "b"])
    }

    @Test func scopeAndNameReadsWhatTheSummaryHolds() throws {
        let summary = SearchSummary(
            package: PackageKey(scope: "acme", name: "zope-interface"), name: "Zope.Interface", version: "7.0",
            description: "interfaces", keywords: ["zope"], authors: ["Z"])
        let read = try summary.encoded().withUnsafeBytes { try SearchSummary.scopeAndName(decoding: $0) }
        #expect(read.scope == "acme")
        #expect(read.name == "Zope.Interface")
        let truncated = Array(summary.encoded().prefix(12))
        #expect(throws: ViewDecodeError.self) { try truncated.withUnsafeBytes { try SearchSummary.scopeAndName(decoding: $0) } }
    }
}
