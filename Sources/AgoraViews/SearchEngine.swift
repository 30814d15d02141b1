import AgoraStore

/// Which rule matched a result, so a front end can say why it is there.
public enum SearchTier: Int, Sendable, Hashable, Comparable, CustomStringConvertible {
    case exactName = 0
    /// The words of a multi-word query joined (`fast api` → fastapi), or one typo from that.
    case joinedWords = 1
    case namePrefix = 2
    case typo = 3
    case token = 4

    public static func < (lhs: SearchTier, rhs: SearchTier) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String {
        switch self {
        case .exactName: "exact name"
        case .joinedWords: "words joined"
        case .namePrefix: "name prefix"
        case .typo: "name within one typo"
        case .token: "words"
        }
    }
}

/// The order of a result list.
public enum SearchSort: String, Sendable, Hashable, CaseIterable {
    /// Exact names first, then text relevance blended with popularity.
    case relevance
    /// Most used first (`PackagePopularity.score`), then relevance.
    case popular
    /// Newest current release first (its author clock), then relevance.
    case recent
}

public struct SearchFilters: Sendable, Hashable {
    public static let maxLimit = 1000

    /// Keep documents with this keyword or tag (compared in name normal form).
    public var keyword: String?
    /// Keep documents whose author list mentions this text (case-insensitive), or whose
    /// publisher key starts with this hex.
    public var author: String?
    public var includeYanked: Bool
    public var limit: Int
    public var sort: SearchSort

    public init(keyword: String? = nil, author: String? = nil, includeYanked: Bool = false, limit: Int = 20, sort: SearchSort = .relevance) {
        self.keyword = keyword
        self.author = author
        self.includeYanked = includeYanked
        self.limit = min(max(limit, 1), Self.maxLimit)
        self.sort = sort
    }

    func accepts(_ summary: SearchSummary) -> Bool {
        if summary.yanked && !includeYanked { return false }
        if let keyword, !keyword.isEmpty {
            let wanted = Tokenizer.normaliseName(keyword)
            guard (summary.keywords + summary.tags).contains(where: { Tokenizer.normaliseName($0) == wanted }) else { return false }
        }
        if let author, !author.isEmpty {
            let wanted = author.lowercased()
            let byName = summary.authors.contains { $0.lowercased().contains(wanted) }
            let byKey = summary.publisher.map { $0.hex.hasPrefix(wanted) } ?? false
            guard byName || byKey else { return false }
        }
        return true
    }
}

public struct SearchHit: Sendable, Hashable {
    public var summary: SearchSummary
    public var tier: SearchTier
    /// Text relevance: higher is better. Without popularity every prefix hit outranks every
    /// typo hit, and every typo hit every word hit; exact names always come first.
    public var score: Double
    /// For typo hits: the edit that turns the query into this name.
    public var edit: EditDistance.Edit?
    public var popularity: PackagePopularity?

    public var docID: UInt64 { summary.docID }
    /// What the relevance order sorts by: text relevance plus the popularity prior.
    public var rank: Double { score + SearchEngine.popularityWeight * (popularity?.score ?? 0) }
}

/// Ranked search over any SearchIndex: an exact name first, then names of joined words, name
/// prefixes, names within one typo and weighted word matches, each scored for relevance and
/// blended with popularity.
/// Pure: the same index and query always give the same list.
public enum SearchEngine {
    /// Prefix matches scanned; bounds work for one-letter queries.
    public static let prefixScanLimit = 512
    /// Prefix matches ranked (the shortest completions of those scanned).
    public static let prefixCandidates = 64
    /// Word matches ranked (the best by text score), at least; more when the page is longer.
    public static let tokenCandidates = 200
    /// Word matches ranked first, per result on the page (`search`); the page is checked to
    /// be the one `tokenCandidates` would give, else all are ranked. One per result settles
    /// nearly every page and reads the popularity of half the contenders two did.
    static let settledWordMatches = 1
    /// Typo-index entries read per scan (`TypoKeys.scans`); bounds work for very short queries.
    public static let typoScanLimit = 2_000
    /// How much one unit of `PackagePopularity.score` (one reporter's log2 count) weighs
    /// against text relevance (a prefix hit loses 8 per letter more, a typo hit 5–10 below a
    /// transposition, a word hit up to 200 below a name hit). A package counted by three
    /// reporters ~10⁵ times each gains ~50.
    public static let popularityWeight = 1.0
    /// Queries longer than this are cut; nobody types a longer package name or sentence.
    public static let maxQueryLength = 256

    /// Relevance of a name equal to a multi-word query's words joined: above a typical word
    /// match (a name word and a summary word score ~55), below what a package used through
    /// several reporters adds, so between an unused `http-client` and the used packages the
    /// words describe (requests, httpx), use decides.
    public static let joinedWordsScore = 60.0
    /// Documents read for partial word matches: the words' lists are taken rarest first while
    /// their total stays under this, so a common word never adds work.
    public static let partialScanLimit = 2_048
    /// Word matches whose popularity is read before the best are kept; beyond this the best by
    /// text alone are kept first.
    public static let popularityScanLimit = 2_048

    public static func search(query rawQuery: String, filters: SearchFilters = SearchFilters(), index: some SearchIndex) throws -> [SearchHit] {
        try search(query: rawQuery, filters: filters, index: index, quickWordMatches: settledWordMatches * filters.limit)
    }

    /// `search`, ranking the best `quickWordMatches` word matches first when that many are
    /// fewer than all it ranks (nil: all at once); the page is the same either way.
    static func search(query rawQuery: String, filters: SearchFilters, index: some SearchIndex, quickWordMatches: Int?) throws -> [SearchHit] {
        let query = String(rawQuery.prefix(maxQueryLength))
        let words = whitespaceSeparatedWords(query)
        guard !words.isEmpty else { return [] }

        var scope: String?
        var nameQuery = words.joined(separator: "-")
        if words.count == 1, let key = PackageKey(words[0]) {
            scope = key.scope
            nameQuery = key.name
        }
        let name = Tokenizer.normaliseName(nameQuery)

        var candidates = Candidates()
        if words.count == 1 {
            // What the user typed is a name: that package comes first whatever else matches.
            var exact: [SearchSummary] = []
            for docID in try index.documents(named: name) {
                if let summary = try index.summary(of: docID), scope.map({ summary.package.scope == $0 }) ?? true { exact.append(summary) }
            }
            for summary in exact.sorted(by: { $0.package < $1.package }) {
                candidates.add(summary.docID, .exactName, 1_000_000, nil)
            }
            candidates.read = exact
            try collectPrefix(name, index, &candidates)
            try collectTypos(name, index, scope, .typo, 240, &candidates)
        } else {
            // Several words joined with `-` or outright may be a name ("scikit learn", "fast api"),
            // or one typo from one when there are two words; ranked with popularity, not first by rule.
            let joined = Tokenizer.normaliseName(words.joined())
            for candidate in [name, joined] {
                for docID in try index.documents(named: candidate) {
                    candidates.add(docID, .joinedWords, joinedWordsScore, nil)
                }
            }
            if words.count == 2 {
                try collectTypos(name, index, scope, .joinedWords, joinedWordsScore - 10, &candidates)
                try collectTypos(joined, index, scope, .joinedWords, joinedWordsScore - 10, &candidates)
            }
        }
        guard scope == nil else { return try candidates.page(index, filters: filters, scope: scope, wordCut: nil).hits }
        // Most pages are full before the best few word matches run out: rank only those first
        // (their popularity reads are most of a common word's cost), and rank them all only when
        // the page reaches past the last of the few, where the rest could have stood.
        let all = max(tokenCandidates, filters.limit * 4)
        if filters.sort == .relevance, let few = quickWordMatches, few < all {
            var quick = candidates
            let cut = try collectTokens(query, index, filters, kept: few, &quick)
            let page = try quick.page(index, filters: filters, scope: scope, wordCut: cut)
            if page.settled { return page.hits }
        }
        _ = try collectTokens(query, index, filters, kept: all, &candidates)
        return try candidates.page(index, filters: filters, scope: scope, wordCut: nil).hits
    }

    /// The query's words, split where `Character.isWhitespace`. An ASCII query is split on its
    /// bytes: there the whitespace characters are tab through carriage return and space, and
    /// the one multi-byte character, "\r\n", is two of them.
    static func whitespaceSeparatedWords(_ query: String) -> [String] {
        let bytes = query.utf8
        guard bytes.allSatisfy({ $0 < 0x80 }) else { return query.split(whereSeparator: { $0.isWhitespace }).map(String.init) }
        return bytes.split(whereSeparator: { $0 == 0x20 || (0x09...0x0D).contains($0) }).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Names extending the query: each letter more costs 8 points of relevance, down to 241,
    /// just above the best typo hit. The shortest `prefixCandidates` are ranked, names of one
    /// length in name byte order, then by ID: the order the index hands them out, so only each
    /// name's length is kept, and no name is built.
    private static func collectPrefix(_ name: String, _ index: some SearchIndex, _ candidates: inout Candidates) throws {
        let queryLength = name.utf8.count
        var matches: [(length: Int, position: Int, docID: UInt64)] = []
        try index.forEachNameEntry(prefix: Array(name.utf8), limit: prefixScanLimit) { stored, docID in
            // A name holding the query as a prefix and as long is the query (the exact match).
            guard stored.count != queryLength else { return }
            matches.append((stored.count, matches.count, docID))
        }
        let shortest = smallest(prefixCandidates, of: matches) { lhs, rhs in
            lhs.length != rhs.length ? lhs.length < rhs.length : lhs.position < rhs.position
        }
        for match in shortest {
            candidates.add(match.docID, .namePrefix, 300 - Double(min(8 * (match.length - queryLength), 59)), nil)
        }
    }

    /// Names one edit away: a transposition (the commonest slip) scores `best`, a substitution
    /// 5 less, an insertion or deletion 10 less (240 / 235 / 230 for a one-word query).
    private static func collectTypos(
        _ name: String, _ index: some SearchIndex, _ scope: String?, _ tier: SearchTier, _ best: Double, _ candidates: inout Candidates
    ) throws {
        let query = Array(name.unicodeScalars)
        let queryBytes = Array(name.utf8)
        let reversedQueryBytes = Array(queryBytes.reversed())
        let asciiQuery = queryBytes.count == query.count
        var seen = Set<UInt64>()
        var matches: [(docID: UInt64, name: String, edit: EditDistance.Edit)] = []
        for prefix in TypoKeys.scans(for: name) {
            let backward = prefix.first == TypoKeys.backward
            try index.forEachTypoEntry(prefix: prefix, limit: typoScanLimit) { key, docID in
                // A document's keys all hold its one name, so whether it is one edit away does
                // not depend on the key: only matches are checked for having been found already.
                guard key.count > 2 else { return }
                let stored = UnsafeRawBufferPointer(rebasing: key[2...])
                let candidate: String
                let edit: EditDistance.Edit
                if asciiQuery, stored.allSatisfy({ $0 < 0x80 }) {
                    // ASCII both: compare the key's bytes as stored (a backward key with the
                    // query reversed: reversing both keeps the edit), build only a match's name.
                    guard let found = EditDistance.singleEdit(backward ? reversedQueryBytes : queryBytes, stored) else { return }
                    edit = found
                    candidate = backward ? String(decoding: stored.reversed(), as: UTF8.self) : String(decoding: stored, as: UTF8.self)
                } else {
                    guard let name = TypoKeys.name(ofKey: key), let found = EditDistance.singleEdit(query, Array(name.unicodeScalars)) else { return }
                    edit = found
                    candidate = name
                }
                guard seen.insert(docID).inserted else { return }
                matches.append((docID, candidate, edit))
            }
        }
        if let scope {
            matches = try matches.filter { try index.scopeAndName(of: $0.docID)?.scope == scope }
        }
        matches.sort { lhs, rhs in
            if lhs.name != rhs.name { return lhs.name.utf8.lexicographicallyPrecedes(rhs.name.utf8) }
            return lhs.docID < rhs.docID
        }
        for match in matches {
            let relevance = best - (match.edit == .transposition ? 0 : 5) - (match.edit == .insertion || match.edit == .deletion ? 5 : 0)
            candidates.add(match.docID, tier, relevance, match.edit)
        }
    }

    /// The `count` first items in `order`, sorted, by one pass over `items` keeping them in a
    /// sorted buffer: O(n) comparisons against its last entry while `count` is small.
    static func smallest<T>(_ count: Int, of items: [T], by order: (T, T) -> Bool) -> [T] {
        guard count * 4 < items.count else { return Array(items.sorted(by: order).prefix(max(count, 0))) }
        var kept: [T] = []
        kept.reserveCapacity(count + 1)
        for item in items {
            if kept.count == count, let last = kept.last, !order(item, last) { continue }
            var low = 0
            var high = kept.count
            while low < high {
                let middle = (low + high) / 2
                if order(kept[middle], item) { low = middle + 1 } else { high = middle }
            }
            kept.insert(item, at: low)
            if kept.count > count { kept.removeLast() }
        }
        return kept
    }

    /// Every candidate of a query with its best relevance, in the order found (exact, prefix,
    /// typo, words), ranked once popularity is known.
    struct Candidates {
        struct Entry {
            var docID: UInt64
            var tier: SearchTier
            var score: Double
            var edit: EditDistance.Edit?
            /// Position in finding order: the tie-break, which keeps each tier's own order.
            var position: Int
            var popularity: PackagePopularity?
            /// Word matches arrive with their popularity already read.
            var popularityRead: Bool
        }

        var entries: [Entry] = []
        /// Sized for a one-word query's prefix, typo and word candidates, so it rarely grows.
        var positions = [UInt64: Int](minimumCapacity: 512)
        /// Summaries read while collecting (the exact matches', for their scope), not read again.
        var read: [SearchSummary] = []

        /// A document found again by a later tier keeps its first (better) tier.
        mutating func add(
            _ docID: UInt64, _ tier: SearchTier, _ score: Double, _ edit: EditDistance.Edit?, popularity: PackagePopularity?? = nil
        ) {
            guard positions[docID] == nil else { return }
            positions[docID] = entries.count
            entries.append(Entry(
                docID: docID, tier: tier, score: score, edit: edit, position: entries.count, popularity: popularity ?? nil,
                popularityRead: popularity != nil))
        }

        /// Reads popularity for every candidate, orders them by `filters.sort`, and reads
        /// summaries in that order until the page is full. `wordCut` is the rank of the last
        /// word match kept when more were found (`collectTokens`): those not kept rank at or
        /// below it and come after every candidate of equal rank, so the page is `settled` —
        /// the one keeping them would give — when it fills from candidates ranked at or above
        /// the cut. Only the relevance order allows this; `wordCut` is nil for the others.
        func page(_ index: some SearchIndex, filters: SearchFilters, scope: String?, wordCut: Double?) throws -> (hits: [SearchHit], settled: Bool) {
            var ranked = entries
            // In ID order through one cursor, like the word matches' reads.
            let unread = ranked.indices.filter { !ranked[$0].popularityRead }.sorted { ranked[$0].docID < ranked[$1].docID }
            for (position, popularity) in zip(unread, try index.popularities(of: unread.map { ranked[$0].docID })) {
                ranked[position].popularity = popularity
            }
            func rank(_ entry: Entry) -> Double {
                entry.tier == .exactName ? .infinity : entry.score + popularityWeight * (entry.popularity?.score ?? 0)
            }
            func byRelevance(_ lhs: Entry, _ rhs: Entry) -> Bool {
                let (left, right) = (rank(lhs), rank(rhs))
                return left != right ? left > right : lhs.position < rhs.position
            }
            var recent: [UInt64: UInt64] = [:]
            if filters.sort == .recent {
                for entry in ranked { recent[entry.docID] = try index.summary(of: entry.docID)?.published ?? 0 }
            }
            func precedes(_ lhs: Entry, _ rhs: Entry) -> Bool {
                switch filters.sort {
                case .relevance:
                    break
                case .popular:
                    let (left, right) = (lhs.popularity?.milliScore ?? 0, rhs.popularity?.milliScore ?? 0)
                    if left != right { return left > right }
                case .recent:
                    let (left, right) = (recent[lhs.docID] ?? 0, recent[rhs.docID] ?? 0)
                    if left != right { return left > right }
                }
                return byRelevance(lhs, rhs)
            }
            // A page of 20 from hundreds of candidates: the first `limit` are selected, and all
            // are sorted only when filters turn enough of those away. The order is total (the
            // finding position breaks ties), so the selection is the sorted list's start.
            var ordered = smallest(filters.limit, of: ranked, by: precedes)
            var hits: [SearchHit] = []
            var next = 0
            while next < ranked.count {
                if next == ordered.count {
                    ranked.sort(by: precedes)
                    ordered = ranked
                }
                let entry = ordered[next]
                next += 1
                if let wordCut, rank(entry) < wordCut { return (hits, false) }
                guard let summary = try read.first(where: { $0.docID == entry.docID }) ?? index.summary(of: entry.docID),
                      filters.accepts(summary), scope.map({ summary.package.scope == $0 }) ?? true
                else { continue }
                hits.append(SearchHit(summary: summary, tier: entry.tier, score: entry.score, edit: entry.edit, popularity: entry.popularity))
                if hits.count >= filters.limit { return (hits, true) }
            }
            return (hits, wordCut == nil)
        }
    }
}
