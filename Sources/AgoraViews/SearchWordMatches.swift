/// Word matches: documents holding the query's words (or their forms, `QueryWords`), ranked by
/// the words' posting weights blended with popularity.
extension SearchEngine {
    /// A document and how well it holds the query's words.
    struct WordMatch {
        var docID: UInt64
        /// Query words found (a word counts once, whichever of its forms matched).
        var words: Int
        /// Sum of the found words' posting weights.
        var weight: Int
        /// The document's popularity bucket, as its postings carry it.
        var bucket = PopularityBucket.none

        /// 0..<200, below every name hit. A document missing some words keeps the share of the
        /// score it has, halved, so among equally used packages one holding every word wins,
        /// while a used package missing a word a one-line summary rarely says ("client",
        /// "library") still beats an unused one holding them all.
        func score(of queryWords: Int) -> Double {
            let full = 200 * Double(weight) / Double(weight + 64)
            return words >= queryWords ? full : full * Double(words) / Double(queryWords) / 2
        }
    }

    /// Documents holding every query word; for several words, also documents holding the
    /// rarest of them but not all (`partialMatches`); when none holds every word, documents
    /// holding any. The best by text and popularity are kept: of the `popularityScanLimit` best
    /// by text, those that can still be among the best `kept` (`popularities(of:best:)`) have
    /// their popularity read (`kept` ≥ 1). Returns the rank of the last one kept when the pool held more
    /// (`Candidates.page`), nil when every match is a candidate.
    static func collectTokens(
        _ query: String, _ index: some SearchIndex, _ filters: SearchFilters, kept: Int, _ candidates: inout Candidates
    ) throws -> Double? {
        let tokens = Tokenizer.queryTokens(query)
        guard !tokens.isEmpty else { return nil }
        // Filters may reject most matches: then every match is a candidate.
        let filtered = filters.keyword != nil || filters.author != nil
        // Full and partial matches in ID order; or, where every document holding any word is a
        // match (one word, or none holds them all), the pool itself.
        let (matches, pooled) = try withWordPostings(tokens.map(QueryWords.variants(of:))[...], index, []) {
            words -> ([WordMatch], Bool) in
            // One list's intersection is its union.
            if words.count > 1 {
                let walked = rarestWordMatches(words) ?? intersect(words)
                if walked.contains(where: { $0.words == words.count }) { return (walked, false) }
            }
            return withMerged(words[...], []) { postings in
                if filtered { return (union(postings), false) }
                return (bestOfUnion(popularityScanLimit, of: postings, queryWords: tokens.count), true)
            }
        }
        if filtered {
            // Full matches first: among equal ranks the earlier found stays first.
            for match in matches.filter({ $0.words >= tokens.count }) + matches.filter({ $0.words < tokens.count }) {
                // No popularity record to read where the postings say there is none.
                candidates.add(match.docID, .token, match.score(of: tokens.count), nil, popularity: match.bucket.isNone ? .some(nil) : nil)
            }
            return nil
        }
        // The pool in ID order, the order the popularity walk needs; ties at the selection's cut
        // have equal word counts, so they are all full or all partial matches either way.
        let pool = pooled ? matches : bestByText(popularityScanLimit, of: matches, queryWords: tokens.count)
        let (contenders, popularity) = try popularities(of: pool, best: kept, queryWords: tokens.count, index)
        let ranked = contenders.map { (position: $0, rank: pool[$0].score(of: tokens.count) + popularityWeight * (popularity[$0]?.score ?? 0)) }
        let best = smallest(kept, of: ranked) { lhs, rhs in
            lhs.rank != rhs.rank ? lhs.rank > rhs.rank : pool[lhs.position].docID < pool[rhs.position].docID
        }
        for entry in best {
            let match = pool[entry.position]
            candidates.add(match.docID, .token, match.score(of: tokens.count), nil, popularity: .some(popularity[entry.position]))
        }
        // `best` holds `kept` (≥ 1) here: the contenders include the pool's best `kept`.
        return pool.count > kept ? best.last?.rank ?? .infinity : nil
    }

    /// The pool members that can be among its best `count` by text plus popularity, and the
    /// popularity of each of them (nil elsewhere). A member's bucket bounds its rank; one whose
    /// highest possible rank is below the `count`-th highest least rank is beaten by `count`
    /// others whatever the records say, so its record is not read, and the best `count` of the
    /// contenders are the best of the pool. Members without a record need no read either.
    static func popularities(
        of pool: [WordMatch], best count: Int, queryWords: Int, _ index: some SearchIndex
    ) throws -> (contenders: [Int], popularity: [PackagePopularity?]) {
        var popularity = [PackagePopularity?](repeating: nil, count: pool.count)
        let scores = pool.map { $0.score(of: queryWords) }
        var threshold = -Double.infinity
        if pool.count > count {
            // The least ranks as one array first: through a lazy map each value cost ~35
            // instructions, most of a pool's values are passed over after one comparison.
            var least = [Double](repeating: 0, count: pool.count)
            for position in pool.indices { least[position] = scores[position] + popularityWeight * pool[position].bucket.lowerBound }
            threshold = largest(count, of: least)
        }
        var contenders: [Int] = []
        var unread: [Int] = []
        contenders.reserveCapacity(min(pool.count, count * 2))
        for (position, match) in pool.enumerated() where scores[position] + popularityWeight * match.bucket.upperBound >= threshold {
            contenders.append(position)
            if !match.bucket.isNone { unread.append(position) }
        }
        // In ID order (the pool's), through one cursor.
        for (position, record) in zip(unread, try index.popularities(of: unread.map { pool[$0].docID })) {
            popularity[position] = record
        }
        return (contenders, popularity)
    }

    /// The `count`-th largest of `values` (1 ≤ `count` ≤ their number), in one pass keeping the
    /// `count` largest so far in ascending order: a pool holds thousands of matches and few
    /// of them beat the least kept, so most values cost one comparison (a quickselect moved
    /// every value several times).
    static func largest(_ count: Int, of values: some Sequence<Double>) -> Double {
        var kept: [Double] = []
        kept.reserveCapacity(count)
        for value in values {
            if kept.count < count {
                kept.insert(value, at: firstPlace(in: kept, from: 0, notBelow: value))
                continue
            }
            guard let least = kept.first, value > least else { continue }
            // The least leaves; those below `value` move down one, and `value` takes the gap.
            let gap = firstPlace(in: kept, from: 1, notBelow: value) - 1
            for position in 0..<gap { kept[position] = kept[position + 1] }
            kept[gap] = value
        }
        return kept.first ?? -.infinity
    }

    /// The first index from `start` of ascending `kept` whose value is at least `value`.
    private static func firstPlace(in kept: [Double], from start: Int, notBelow value: Double) -> Int {
        var (low, high) = (start, kept.count)
        while low < high {
            let middle = (low + high) / 2
            if kept[middle] < value { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// The `count` matches with the most words, then the most weight, by one counting pass
    /// (a generic query matches tens of thousands of documents, too many to sort or insert
    /// into a sorted buffer); ties at the cut keep the earliest in `matches`.
    static func bestByText(_ count: Int, of matches: [WordMatch], queryWords: Int) -> [WordMatch] {
        guard matches.count > count else { return matches }
        let weights = 1_024
        func key(_ match: WordMatch) -> Int { min(match.words, queryWords) * weights + min(match.weight, weights - 1) }
        var histogram = [Int](repeating: 0, count: (queryWords + 1) * weights)
        for match in matches { histogram[key(match)] += 1 }
        var threshold = histogram.count - 1
        var above = 0
        while threshold > 0, above + histogram[threshold] < count {
            above += histogram[threshold]
            threshold -= 1
        }
        var atThreshold = count - above
        var out: [WordMatch] = []
        out.reserveCapacity(count)
        for match in matches {
            let matchKey = key(match)
            if matchKey > threshold {
                out.append(match)
            } else if matchKey == threshold, atThreshold > 0 {
                out.append(match)
                atThreshold -= 1
            }
        }
        return out
    }

    /// `bestByText(count, of: union(lists), queryWords:)` without a match per document: a common
    /// word (`python`: 21k documents) as the only word, or beside words no document holds with
    /// it, would make tens of thousands of matches to keep 2,048. Only the documents of the
    /// other lists are tallied as matches; the largest list's own documents hold one word, so
    /// their keys are counted and compared straight from its entries, and only those kept are
    /// built.
    static func bestOfUnion(_ count: Int, of lists: [SearchPostings], queryWords: Int) -> [WordMatch] {
        guard let largest = lists.indices.max(by: { lists[$0].count < lists[$1].count }) else { return [] }
        let big = lists[largest]
        var others = lists
        others.remove(at: largest)
        // The other lists' documents with the big list's share added, and where each stands in it.
        var small = union(others)
        var places = [Int](repeating: 0, count: small.count)
        var shared = [Bool](repeating: false, count: small.count)
        var position = 0
        for number in small.indices {
            position = big.seek(small[number].docID, from: position)
            places[number] = position
            guard position < big.count, big.docID(at: position) == small[number].docID else { continue }
            shared[number] = true
            small[number].words += 1
            small[number].weight += Int(big.weight(at: position))
            small[number].bucket = PopularityBucket(rawValue: max(small[number].bucket.rawValue, big.bucket(at: position).rawValue))
        }
        let weights = 1_024
        func key(_ match: WordMatch) -> Int { min(match.words, queryWords) * weights + min(match.weight, weights - 1) }
        // A document only in the big list holds one word; its weight is one byte, below the cap.
        let single = min(1, queryWords) * weights
        var histogram = [Int](repeating: 0, count: (queryWords + 1) * weights)
        for entry in 0..<big.count { histogram[single + Int(big.weight(at: entry))] += 1 }
        for (number, match) in small.enumerated() {
            if shared[number] { histogram[single + Int(big.weight(at: places[number]))] -= 1 }
            histogram[key(match)] += 1
        }
        var threshold = histogram.count - 1
        var above = 0
        let total = histogram.reduce(0, +)
        if total <= count {
            threshold = -1
        } else {
            while threshold > 0, above + histogram[threshold] < count {
                above += histogram[threshold]
                threshold -= 1
            }
        }
        var atThreshold = count - above
        var out: [WordMatch] = []
        out.reserveCapacity(min(count, total))
        // What `bestByText` keeps: above the cut, and the earliest at it.
        func keeps(_ matchKey: Int) -> Bool {
            guard matchKey == threshold else { return matchKey > threshold }
            guard atThreshold > 0 else { return false }
            atThreshold -= 1
            return true
        }
        // In ID order: the big list's own documents between the others'.
        func bigOnly(until end: Int) {
            // None of them can be kept when the cut is above every one-word key.
            if threshold > single + Int(UInt8.max) {
                position = end
                return
            }
            while position < end {
                let weight = big.weight(at: position)
                if keeps(single + Int(weight)) {
                    out.append(WordMatch(docID: big.docID(at: position), words: 1, weight: Int(weight), bucket: big.bucket(at: position)))
                }
                position += 1
            }
        }
        position = 0
        for (number, match) in small.enumerated() {
            bigOnly(until: places[number])
            if keeps(key(match)) { out.append(match) }
            if shared[number] { position += 1 }
        }
        bigOnly(until: big.count)
        return out
    }

    /// A query word's postings: its commonest form as the index gave it, the others merged
    /// into one list, and how many documents hold any form. Walks that look documents up in a
    /// word seek in both parts, so a common word (`python`'s 21k entries beside a few
    /// `pythons`) is never copied into a merged list; a walk over every document of a word
    /// merges its parts (`withMerged`).
    struct WordPostings {
        var common: SearchPostings
        /// The other forms merged; empty for a word with one form present.
        var others: SearchPostings
        /// The documents of the merged list: `common`'s, plus `others`' not in it.
        var count: Int

        /// The word as the union of its `forms` (in any order): the rarer are merged, rarest
        /// first, and galloped into the commonest to count the documents they share with it.
        static func of<R>(_ forms: [SearchPostings], _ body: (WordPostings) throws -> R) rethrows -> R {
            let ordered = forms.sorted { $0.count < $1.count }
            guard let common = ordered.last else { return try body(WordPostings(common: .empty, others: .empty, count: 0)) }
            func counted(_ others: SearchPostings) throws -> R {
                var shared = 0
                var position = 0
                for entry in 0..<others.count {
                    position = common.seek(others.docID(at: entry), from: position)
                    if position < common.count, common.docID(at: position) == others.docID(at: entry) { shared += 1 }
                }
                return try body(WordPostings(common: common, others: others, count: common.count + others.count - shared))
            }
            let rarer = Array(ordered.dropLast())
            guard rarer.count > 1 else { return try counted(rarer.first ?? .empty) }
            var merged = SearchEngine.merge(rarer[0], rarer[1])
            for list in rarer.dropFirst(2) { merged = merged.withUnsafeBytes { SearchEngine.merge(SearchPostings($0), list) } }
            return try merged.withUnsafeBytes { try counted(SearchPostings($0)) }
        }

        /// The largest weight and bucket any form gives `docID`, nil when none holds it; each
        /// part is sought from its position in `cursor`, so ascending IDs walk each part once.
        func find(_ docID: UInt64, from cursor: inout (common: Int, others: Int)) -> (weight: UInt8, bucket: UInt8)? {
            cursor.common = common.seek(docID, from: cursor.common)
            var found: (weight: UInt8, bucket: UInt8)?
            if cursor.common < common.count, common.docID(at: cursor.common) == docID {
                found = (common.weight(at: cursor.common), common.bucket(at: cursor.common).rawValue)
            }
            guard others.count > 0 else { return found }
            cursor.others = others.seek(docID, from: cursor.others)
            guard cursor.others < others.count, others.docID(at: cursor.others) == docID else { return found }
            let (weight, bucket) = (others.weight(at: cursor.others), others.bucket(at: cursor.others).rawValue)
            guard let found else { return (weight, bucket) }
            return (max(found.weight, weight), max(found.bucket, bucket))
        }

        /// Calls `body` with the word's documents as one list: each document once, with its
        /// largest weight and bucket.
        func withMerged<R>(_ body: (SearchPostings) throws -> R) rethrows -> R {
            guard others.count > 0 else { return try body(common) }
            return try SearchEngine.merge(common, others).withUnsafeBytes { try body(SearchPostings($0)) }
        }
    }

    /// Calls `body` with the postings of each query word (`words`: each word's forms, looked up
    /// together), in order.
    static func withWordPostings<R>(
        _ words: ArraySlice<[String]>, _ index: some SearchIndex, _ done: [WordPostings], _ body: ([WordPostings]) throws -> R
    ) throws -> R {
        guard let forms = words.first else { return try body(done) }
        return try index.withPostings(forAny: forms) { lists in
            try WordPostings.of(lists) { word in try withWordPostings(words.dropFirst(), index, done + [word], body) }
        }
    }

    /// Calls `body` with each word's documents as one list (`WordPostings.withMerged`).
    static func withMerged<R>(_ words: ArraySlice<WordPostings>, _ done: [SearchPostings], _ body: ([SearchPostings]) throws -> R) rethrows -> R {
        guard let word = words.first else { return try body(done) }
        return try word.withMerged { list in try withMerged(words.dropFirst(), done + [list], body) }
    }

    /// Two ID-sorted posting lists as one; a document in both keeps its larger weight. Walks
    /// the shorter list and copies the longer one's entries between in blocks: a common word
    /// holds tens of thousands of entries, its other forms mostly a few.
    private static func merge(_ first: SearchPostings, _ second: SearchPostings) -> [UInt8] {
        let size = SearchPostings.entrySize
        let (long, short) = first.count >= second.count ? (first, second) : (second, first)
        return [UInt8](unsafeUninitializedCapacity: (first.count + second.count) * size) { buffer, written in
            let out = UnsafeMutableRawBufferPointer(buffer)
            func copy(_ list: SearchPostings, _ range: Range<Int>) {
                guard !range.isEmpty else { return }
                let bytes = UnsafeRawBufferPointer(rebasing: list.bytes[(range.lowerBound * size)..<(range.upperBound * size)])
                UnsafeMutableRawBufferPointer(rebasing: out[written..<(written + bytes.count)]).copyMemory(from: bytes)
                written += bytes.count
            }
            var position = 0
            for index in 0..<short.count {
                let docID = short.docID(at: index)
                let next = long.seek(docID, from: position)
                copy(long, position..<next)
                if next < long.count, long.docID(at: next) == docID {
                    copy(long, next..<(next + 1))
                    out[written - 2] = max(long.weight(at: next), short.weight(at: index))
                    out[written - 1] = max(long.bucket(at: next).rawValue, short.bucket(at: index).rawValue)
                    position = next + 1
                } else {
                    copy(short, index..<(index + 1))
                    position = next
                }
            }
            copy(long, position..<long.count)
        }
    }

    /// Walks the shortest word and looks its documents up in the others, so the cost follows
    /// the rarest word.
    static func intersect(_ words: [WordPostings]) -> [WordMatch] {
        guard let shortestIndex = words.indices.min(by: { words[$0].count < words[$1].count }), words[shortestIndex].count > 0 else { return [] }
        return words[shortestIndex].withMerged { shortest in
            var cursors = [(common: Int, others: Int)](repeating: (0, 0), count: words.count)
            var out: [WordMatch] = []
            out.reserveCapacity(shortest.count)
            candidates: for index in 0..<shortest.count {
                let docID = shortest.docID(at: index)
                var score = Int(shortest.weight(at: index))
                var bucket = shortest.bucket(at: index).rawValue
                for (number, word) in words.enumerated() where number != shortestIndex {
                    guard let found = word.find(docID, from: &cursors[number]) else { continue candidates }
                    score += Int(found.weight)
                    bucket = max(bucket, found.bucket)
                }
                out.append(WordMatch(docID: docID, words: words.count, weight: score, bucket: PopularityBucket(rawValue: bucket)))
            }
            return out
        }
    }

    /// Documents holding the rarest word, each scored against every word, in one walk and in
    /// ID order: those holding every word (what `intersect` finds) and those missing some
    /// (partial matches) together, as the pool needs them; nil when the rarest word is in more
    /// than `partialScanLimit` documents. A document may miss only words more common than one
    /// it holds: "client" or "library" is what a summary leaves out, while one holding only the
    /// commoner word ("parser" for "date parsing") is about something else.
    static func rarestWordMatches(_ words: [WordPostings]) -> [WordMatch]? {
        guard let rarestIndex = words.indices.min(by: { words[$0].count < words[$1].count }), words[rarestIndex].count <= partialScanLimit
        else { return nil }
        return words[rarestIndex].withMerged { rarest in
            var cursors = [(common: Int, others: Int)](repeating: (0, 0), count: words.count)
            var out: [WordMatch] = []
            out.reserveCapacity(rarest.count)
            for seed in 0..<rarest.count {
                let docID = rarest.docID(at: seed)
                // The seed's own word holds it where it stands: only the others are searched.
                var match = WordMatch(docID: docID, words: 1, weight: Int(rarest.weight(at: seed)), bucket: rarest.bucket(at: seed))
                for (number, word) in words.enumerated() where number != rarestIndex {
                    guard let found = word.find(docID, from: &cursors[number]) else { continue }
                    match.words += 1
                    match.weight += Int(found.weight)
                    match.bucket = PopularityBucket(rawValue: max(match.bucket.rawValue, found.bucket))
                }
                out.append(match)
            }
            return out
        }
    }

    /// Every document in any list, for a query whose words no document holds together: one
    /// merge of the ID-sorted lists, so the matches come out in ID order without hashing. Each
    /// list's next ID is kept beside it (`UInt64.max` once done), so a step reads no entry twice.
    static func union(_ lists: [SearchPostings]) -> [WordMatch] {
        var positions = [Int](repeating: 0, count: lists.count)
        var heads = lists.map { $0.count > 0 ? $0.docID(at: 0) : UInt64.max }
        var out: [WordMatch] = []
        out.reserveCapacity(lists.reduce(0) { $0 + $1.count })
        positions.withUnsafeMutableBufferPointer { positions in
            heads.withUnsafeMutableBufferPointer { heads in
                while true {
                    var next = UInt64.max
                    for head in heads where head < next { next = head }
                    // A list may hold `UInt64.max` itself: done only when every list is.
                    guard next != .max || lists.indices.contains(where: { positions[$0] < lists[$0].count }) else { return }
                    var match = WordMatch(docID: next, words: 0, weight: 0)
                    for number in 0..<heads.count where heads[number] == next && positions[number] < lists[number].count {
                        let list = lists[number]
                        let position = positions[number]
                        match.words += 1
                        match.weight += Int(list.weight(at: position))
                        match.bucket = PopularityBucket(rawValue: max(match.bucket.rawValue, list.bucket(at: position).rawValue))
                        positions[number] = position + 1
                        heads[number] = position + 1 < list.count ? list.docID(at: position + 1) : .max
                    }
                    out.append(match)
                }
            }
        }
        return out
    }
}
