import AgoraStore

/// Which rule matched a result, so a front end can say why it is there.
public enum SearchTier: Int, Sendable, Hashable, Comparable, CustomStringConvertible {
    case exactName = 0
    case namePrefix = 1
    case typo = 2
    case token = 3

    public static func < (lhs: SearchTier, rhs: SearchTier) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String {
        switch self {
        case .exactName: "exact name"
        case .namePrefix: "name prefix"
        case .typo: "name within one typo"
        case .token: "words"
        }
    }
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

    public init(keyword: String? = nil, author: String? = nil, includeYanked: Bool = false, limit: Int = 20) {
        self.keyword = keyword
        self.author = author
        self.includeYanked = includeYanked
        self.limit = min(max(limit, 1), Self.maxLimit)
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
    /// Higher is better within a tier; tiers never mix (every exact hit precedes every prefix hit).
    public var score: Int
    /// For typo hits: the edit that turns the query into this name.
    public var edit: EditDistance.Edit?

    public var docID: UInt64 { summary.docID }
}

/// Ranked search over any SearchIndex: exact name, then name prefix, then one-typo names, then
/// weighted word matches. Pure: the same index and query always give the same list.
public enum SearchEngine {
    /// Prefix matches scanned before ranking them by length; bounds work for one-letter queries.
    public static let prefixScanLimit = 512
    /// Queries longer than this are cut; nobody types a longer package name or sentence.
    public static let maxQueryLength = 256

    public static func search(query rawQuery: String, filters: SearchFilters = SearchFilters(), index: some SearchIndex) throws -> [SearchHit] {
        let query = String(rawQuery.prefix(maxQueryLength))
        let words = query.split(whereSeparator: { $0.isWhitespace }).map(String.init)
        guard !words.isEmpty else { return [] }
        var collector = Collector(filters: filters)

        var scope: String?
        var nameQuery = words.joined(separator: "-")
        if words.count == 1, let key = PackageKey(words[0]) {
            scope = key.scope
            nameQuery = key.name
        }
        let name = Tokenizer.normaliseName(nameQuery)
        let inScope: (String) -> Bool = { candidate in scope.map { candidate == $0 } ?? true }

        // Exact names; a multi-word query also tries its words joined with `-` and joined
        // outright ("scikit learn" → scikit-learn, "fast api" → fastapi).
        let joined = words.count > 1 ? Tokenizer.normaliseName(words.joined()) : nil
        var exact: [SearchSummary] = []
        for candidate in [name] + (joined.map { [$0] } ?? []) {
            for docID in try index.documents(named: candidate) where !exact.contains(where: { $0.docID == docID }) {
                if let summary = try index.summary(of: docID), inScope(summary.package.scope) { exact.append(summary) }
            }
        }
        for summary in exact.sorted(by: { $0.package < $1.package }) where collector.add(summary, .exactName, 1_000_000, nil) {
            return collector.hits
        }

        if words.count == 1 {
            if try collectPrefix(name, index, inScope, &collector) { return collector.hits }
            if try collectTypos(name, index, inScope, &collector) { return collector.hits }
        } else if words.count == 2, let joined {
            // A typo in a two-word name: one edit from the words joined either way.
            if try collectTypos(name, index, inScope, &collector) { return collector.hits }
            if try collectTypos(joined, index, inScope, &collector) { return collector.hits }
        }
        if scope == nil { _ = try collectTokens(query, index, &collector) }
        return collector.hits
    }

    /// Names extending the query, shortest first (the closest completion), then by name.
    private static func collectPrefix(
        _ name: String, _ index: some SearchIndex, _ inScope: (String) -> Bool, _ collector: inout Collector
    ) throws -> Bool {
        let matches = try index.documents(namePrefix: name, limit: prefixScanLimit).filter { $0.name != name }
        let queryLength = name.utf8.count
        return try inOrder(matches, wanted: collector.wanted, by: { lhs, rhs in
            if lhs.name.utf8.count != rhs.name.utf8.count { return lhs.name.utf8.count < rhs.name.utf8.count }
            if lhs.name != rhs.name { return lhs.name.utf8.lexicographicallyPrecedes(rhs.name.utf8) }
            return lhs.docID < rhs.docID
        }) { match in
            guard !collector.seen.contains(match.docID), let summary = try index.summary(of: match.docID), inScope(summary.package.scope) else {
                return false
            }
            return collector.add(summary, .namePrefix, 500_000 - (match.name.utf8.count - queryLength), nil)
        }
    }

    /// Names one edit away. Ties: transposition (the commonest slip) over other edits, then the
    /// smaller length change, then the name, then the ID.
    private static func collectTypos(
        _ name: String, _ index: some SearchIndex, _ inScope: (String) -> Bool, _ collector: inout Collector
    ) throws -> Bool {
        var candidates = Set<UInt64>()
        for key in SearchDeletions.keys(for: name) {
            candidates.formUnion(try index.documents(deletionKey: key))
        }
        let query = Array(name.unicodeScalars)
        var matches: [(docID: UInt64, name: String, edit: EditDistance.Edit, lengthChange: Int)] = []
        for docID in candidates where !collector.seen.contains(docID) {
            guard let found = try index.scopeAndName(of: docID), inScope(found.scope) else { continue }
            let candidate = normaliseASCII(found.name) ?? Tokenizer.normaliseName(found.name)
            let scalars = Array(candidate.unicodeScalars)
            guard let edit = EditDistance.singleEdit(query, scalars) else { continue }
            matches.append((docID, candidate, edit, abs(scalars.count - query.count)))
        }
        matches.sort { lhs, rhs in
            let lhsTransposed = lhs.edit == .transposition
            if lhsTransposed != (rhs.edit == .transposition) { return lhsTransposed }
            if lhs.lengthChange != rhs.lengthChange { return lhs.lengthChange < rhs.lengthChange }
            if lhs.name != rhs.name { return lhs.name.utf8.lexicographicallyPrecedes(rhs.name.utf8) }
            return lhs.docID < rhs.docID
        }
        for (rank, match) in matches.enumerated() {
            guard let summary = try index.summary(of: match.docID) else { continue }
            if collector.add(summary, .typo, 250_000 - rank, match.edit) { return true }
        }
        return false
    }

    /// `Tokenizer.normaliseName` for an all-ASCII name, byte by byte (nil for any other name):
    /// typo ranking normalises every candidate, and nearly every name is ASCII.
    static func normaliseASCII(_ name: String) -> String? {
        var out: [UInt8] = []
        out.reserveCapacity(name.utf8.count)
        var pendingSeparator = false
        for byte in name.utf8 {
            switch byte {
            case 0x80...: return nil
            case UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."):
                pendingSeparator = true
                continue
            default:
                break
            }
            if pendingSeparator {
                out.append(UInt8(ascii: "-"))
                pendingSeparator = false
            }
            out.append(UInt8(ascii: "A")...UInt8(ascii: "Z") ~= byte ? byte | 0x20 : byte)
        }
        if pendingSeparator { out.append(UInt8(ascii: "-")) }
        return String(decoding: out, as: UTF8.self)
    }

    /// Documents containing every query word, scored by the sum of their posting weights;
    /// when no document has them all, documents with any of them, more words first.
    private static func collectTokens(_ query: String, _ index: some SearchIndex, _ collector: inout Collector) throws -> Bool {
        let tokens = Tokenizer.queryTokens(query)
        guard !tokens.isEmpty else { return false }
        var scored = try withAllPostings(tokens[...], index, []) { lists in intersect(lists) }
        if scored.isEmpty && tokens.count > 1 {
            scored = try withAllPostings(tokens[...], index, []) { lists in union(lists) }
        }
        return try inOrder(scored, wanted: collector.wanted, by: { $0.score != $1.score ? $0.score > $1.score : $0.docID < $1.docID }) { entry in
            guard !collector.seen.contains(entry.docID), let summary = try index.summary(of: entry.docID) else { return false }
            return collector.add(summary, .token, entry.score, nil)
        }
    }

    /// Calls `body` on `items` in `order` until it returns true, ordering only as many items
    /// as it consumes: a common word has thousands of postings but a page needs a few of them.
    /// `order` must be total (ties broken by ID), so each wider selection extends the last.
    static func inOrder<T>(
        _ items: [T], wanted: Int, by order: (T, T) -> Bool, _ body: (T) throws -> Bool
    ) rethrows -> Bool {
        var done = 0
        var width = max(wanted, 1)
        while done < items.count {
            let batch = width * 4 >= items.count ? items.sorted(by: order) : smallest(width, of: items, by: order)
            for item in batch[done...] where try body(item) { return true }
            done = batch.count
            width *= 4
        }
        return false
    }

    /// The `count` first items in `order`, sorted, by one pass over `items` keeping them in a
    /// sorted buffer: O(n) comparisons against its last entry while `count` is small.
    static func smallest<T>(_ count: Int, of items: [T], by order: (T, T) -> Bool) -> [T] {
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

    private static func withAllPostings<R>(
        _ tokens: ArraySlice<String>, _ index: some SearchIndex, _ lists: [SearchPostings], _ body: ([SearchPostings]) throws -> R
    ) throws -> R {
        guard let token = tokens.first else { return try body(lists) }
        return try index.withPostings(for: token) { postings in
            try withAllPostings(tokens.dropFirst(), index, lists + [postings], body)
        }
    }

    /// Walks the shortest list and seeks into the others, so the cost follows the rarest word.
    static func intersect(_ lists: [SearchPostings]) -> [(docID: UInt64, score: Int)] {
        let ordered = lists.sorted { $0.count < $1.count }
        guard let shortest = ordered.first, shortest.count > 0 else { return [] }
        var positions = [Int](repeating: 0, count: ordered.count)
        var out: [(docID: UInt64, score: Int)] = []
        candidates: for index in 0..<shortest.count {
            let docID = shortest.docID(at: index)
            var score = Int(shortest.weight(at: index))
            for other in 1..<ordered.count {
                let position = ordered[other].seek(docID, from: positions[other])
                positions[other] = position
                guard position < ordered[other].count else { break candidates }
                guard ordered[other].docID(at: position) == docID else { continue candidates }
                score += Int(ordered[other].weight(at: position))
            }
            out.append((docID, score))
        }
        return out
    }

    /// Every document in any list; each matched word is worth more than any weight sum.
    static func union(_ lists: [SearchPostings]) -> [(docID: UInt64, score: Int)] {
        var scores: [UInt64: Int] = [:]
        for list in lists {
            for index in 0..<list.count {
                scores[list.docID(at: index), default: 0] += 1024 + Int(list.weight(at: index))
            }
        }
        return scores.map { ($0.key, $0.value) }
    }

    private struct Collector {
        let filters: SearchFilters
        var hits: [SearchHit] = []
        var seen = Set<UInt64>()

        init(filters: SearchFilters) {
            self.filters = filters
        }

        /// Entries a tier has to look at, at least, to fill the list: those still missing plus
        /// those already taken (a tier skips them).
        var wanted: Int { filters.limit - hits.count + seen.count }

        /// Returns true once the result list is full.
        mutating func add(_ summary: SearchSummary, _ tier: SearchTier, _ score: Int, _ edit: EditDistance.Edit?) -> Bool {
            guard hits.count < filters.limit else { return true }
            guard seen.insert(summary.docID).inserted, filters.accepts(summary) else { return false }
            hits.append(SearchHit(summary: summary, tier: tier, score: score, edit: edit))
            return hits.count >= filters.limit
        }
    }
}
