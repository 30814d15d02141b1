import AgoraCore
import AgoraStore
import Crypto

/// What a search result shows without touching the package record; stored per document ID.
public struct SearchSummary: Sendable, Hashable {
    public var docID: UInt64
    public var package: PackageKey
    /// The name as published (the key is lowercased).
    public var name: String
    public var version: String
    public var description: String
    public var keywords: [String]
    public var tags: [String]
    public var authors: [String]
    /// Principal of the release shown; nil for metadata loaded from elsewhere (e.g. PyPI).
    public var publisher: PublicKey?
    /// Every release is yanked: hidden unless the query asks for yanked packages.
    public var yanked: Bool
    public var contested: Bool
    /// Author clock (ms) of the release shown, for `--sort recent`; 0 when unknown.
    public var published: UInt64

    public init(
        package: PackageKey, name: String, version: String, description: String = "", keywords: [String] = [],
        tags: [String] = [], authors: [String] = [], publisher: PublicKey? = nil, yanked: Bool = false, contested: Bool = false,
        published: UInt64 = 0
    ) {
        self.docID = SearchDocument.docID(for: package)
        self.package = package
        self.name = name
        self.version = version
        self.description = description
        self.keywords = keywords.filter { !$0.isEmpty }
        self.tags = tags.filter { !$0.isEmpty }
        self.authors = authors.filter { !$0.isEmpty }
        self.publisher = publisher
        self.yanked = yanked
        self.contested = contested
        self.published = published
    }

    /// Summaries are small; a bigger record is corrupt.
    public static let maxEncodedSize = 1 << 20

    public func encoded() -> [UInt8] {
        var writer = CanonicalWriter(capacity: 128 + description.utf8.count)
        writer.varint(1, docID)
        writer.string(2, package.scope)
        writer.string(3, package.name)
        writer.string(4, name)
        writer.string(5, version)
        writer.string(6, description)
        if let publisher { writer.bytes(7, publisher.bytes) }
        writer.varint(8, yanked ? 1 : 0)
        writer.varint(9, contested ? 1 : 0)
        writer.varint(10, published)
        writer.repeated(12, keywords)
        writer.repeated(13, tags)
        writer.repeated(14, authors)
        return writer.bytes
    }

    /// The definition of a stored summary, checking that its document ID is its key's hash:
    /// what the index writer reads back before it takes a document's entries out.
    public init(decoding bytes: some Collection<UInt8>) throws(ViewDecodeError) {
        try self.init(decoding: bytes, checkingID: true)
    }

    /// `checkingID` false leaves out the hash of the key: search shows a stored summary as it
    /// is stored (`decode(_:storedAs:)`); the views are derived data that `agora verify`
    /// rebuilds and compares, so a hash per summary shown (11 % of a query) checks nothing it
    /// does not.
    init(decoding bytes: some Collection<UInt8>, checkingID: Bool) throws(ViewDecodeError) {
        guard bytes.count <= Self.maxEncodedSize else { throw ViewDecodeError("search summary of \(bytes.count) bytes") }
        let reader = try ViewRecord.reader(bytes)
        guard reader.unknown(known: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 13, 14]).isEmpty else {
            throw ViewDecodeError("unknown field in search summary")
        }
        docID = try ViewRecord.read { () throws(CanonicalDecodeError) in try reader.uint(1) }
        let scope = try ViewRecord.read { () throws(CanonicalDecodeError) in try reader.string(2) }
        let packageName = try ViewRecord.read { () throws(CanonicalDecodeError) in try reader.string(3) }
        package = PackageKey(scope: scope, name: packageName)
        guard !scope.isEmpty, !packageName.isEmpty else { throw ViewDecodeError("search summary without scope or name") }
        guard !checkingID || docID == SearchDocument.docID(for: package) else {
            throw ViewDecodeError("search summary key does not match its document ID")
        }
        name = try ViewRecord.read { () throws(CanonicalDecodeError) in try reader.string(4) }
        version = try ViewRecord.read { () throws(CanonicalDecodeError) in try reader.string(5) }
        description = try ViewRecord.read { () throws(CanonicalDecodeError) in try reader.string(6) }
        let key = try ViewRecord.read { () throws(CanonicalDecodeError) in try reader.bytes(7) }
        publisher = key.isEmpty ? nil : try ViewRecord.key(key)
        let yankedFlag = try ViewRecord.read { () throws(CanonicalDecodeError) in try reader.uint(8) }
        let contestedFlag = try ViewRecord.read { () throws(CanonicalDecodeError) in try reader.uint(9) }
        guard yankedFlag <= 1, contestedFlag <= 1 else { throw ViewDecodeError("bad flag in search summary") }
        yanked = yankedFlag == 1
        contested = contestedFlag == 1
        published = try ViewRecord.read { () throws(CanonicalDecodeError) in try reader.uint(10) }
        keywords = try ViewRecord.read { () throws(CanonicalDecodeError) in try reader.strings(12) }
        tags = try ViewRecord.read { () throws(CanonicalDecodeError) in try reader.strings(13) }
        authors = try ViewRecord.read { () throws(CanonicalDecodeError) in try reader.strings(14) }
    }
}

extension SearchSummary {
    /// The summary stored under `docID`, as search shows it: the byte-level reading below when
    /// it applies, else the definition, which also says what is wrong with a bad record. The
    /// key is not hashed (`init(decoding:checkingID:)`); a record naming another document than
    /// the one it is stored under is refused, so a hit's ID is the one the index gave.
    static func decode(_ bytes: UnsafeRawBufferPointer, storedAs docID: UInt64) throws(ViewDecodeError) -> SearchSummary {
        let summary: SearchSummary
        if let canonical = SearchSummary(canonical: bytes) {
            summary = canonical
        } else {
            summary = try SearchSummary(decoding: bytes, checkingID: false)
        }
        guard summary.docID == docID else {
            throw ViewDecodeError("search summary of document \(summary.docID) stored under \(docID)")
        }
        return summary
    }

    /// A summary laid out as `encoded()` writes it, read in one walk over the bytes without the
    /// generic field list (a search decodes one per result, and the list, its copies and the
    /// set of known tags cost more than the fields). Anything unusual — a field unknown,
    /// repeated, out of order or of the wrong type, a multi-byte tag, a value the definition
    /// checks and refuses — gives nil, so the definition decides; a seeded test holds the two
    /// equal on every record this accepts. Like `decode(_:storedAs:)`, it does not hash the key.
    init?(canonical bytes: UnsafeRawBufferPointer) {
        guard bytes.count <= Self.maxEncodedSize else { return nil }
        var fields = (docID: UInt64(0), yanked: UInt64(0), contested: UInt64(0), published: UInt64(0))
        // Fields 2–6 in locals, not an array: one allocation less per summary shown.
        var texts = (scope: "", name: "", shown: "", version: "", description: "")
        var publisher: PublicKey?
        var (keywords, tags, authors): ([String], [String], [String]) = ([], [], [])
        var index = 0
        var lastTag: UInt64 = 0
        while index < bytes.count {
            let key = UInt64(bytes[index])
            index += 1
            let tag = key >> 3
            guard key < 0x80, tag > 0 else { return nil }
            switch key & 7 {
            case 0:
                guard tag > lastTag, let varint = try? Varint.decode(bytes, at: index), varint.value != 0 else { return nil }
                index += varint.length
                switch tag {
                case 1: fields.docID = varint.value
                case 8: fields.yanked = varint.value
                case 9: fields.contested = varint.value
                case 10: fields.published = varint.value
                default: return nil
                }
            case 2:
                guard let length = try? Varint.decode(bytes, at: index), length.value > 0,
                    length.value <= UInt64(bytes.count - index - length.length)
                else { return nil }
                let start = index + length.length
                index = start + Int(length.value)
                let payload = UnsafeRawBufferPointer(rebasing: bytes[start..<index])
                switch tag {
                case 2...6:
                    guard tag > lastTag, let text = Self.text(payload) else { return nil }
                    switch tag {
                    case 2: texts.scope = text
                    case 3: texts.name = text
                    case 4: texts.shown = text
                    case 5: texts.version = text
                    default: texts.description = text
                    }
                case 7:
                    guard tag > lastTag, let key = try? PublicKey(bytes: Array(payload)) else { return nil }
                    publisher = key
                case 12...14:
                    guard tag >= lastTag, let text = Self.text(payload) else { return nil }
                    switch tag {
                    case 12: keywords.append(text)
                    case 13: tags.append(text)
                    default: authors.append(text)
                    }
                default:
                    return nil
                }
            default:
                return nil
            }
            lastTag = tag
        }
        guard !texts.scope.isEmpty, !texts.name.isEmpty, fields.yanked <= 1, fields.contested <= 1 else { return nil }
        docID = fields.docID
        package = PackageKey(scope: texts.scope, name: texts.name)
        name = texts.shown
        version = texts.version
        description = texts.description
        self.publisher = publisher
        yanked = fields.yanked == 1
        contested = fields.contested == 1
        published = fields.published
        self.keywords = keywords
        self.tags = tags
        self.authors = authors
    }

    /// UTF-8 text, nil when invalid; ASCII (nearly every field) needs no validation.
    private static func text(_ bytes: UnsafeRawBufferPointer) -> String? {
        bytes.withMemoryRebound(to: UInt8.self) { bytes in
            bytes.allSatisfy { $0 < 0x80 } ? String(decoding: bytes, as: UTF8.self) : String(validating: bytes, as: UTF8.self)
        }
    }

    /// Reads only the scope and name of an encoded summary by walking its fields, skipping the
    /// checks a full decode makes (which hash the key): typo ranking reads many candidates and
    /// keeps few, and each kept one is decoded fully afterwards.
    static func scopeAndName(decoding bytes: UnsafeRawBufferPointer) throws(ViewDecodeError) -> (scope: String, name: String) {
        guard bytes.count <= maxEncodedSize else { throw ViewDecodeError("search summary of \(bytes.count) bytes") }
        var scope: String?
        var name: String?
        var index = 0
        while index < bytes.count, name == nil {
            let key = try varint(bytes, &index)
            switch key & 7 {
            case 0:
                _ = try varint(bytes, &index)
            case 2:
                let length = try varint(bytes, &index)
                guard length <= UInt64(bytes.count - index) else { throw ViewDecodeError("search summary field \(key >> 3) is truncated") }
                let end = index + Int(length)
                let payload = UnsafeRawBufferPointer(rebasing: bytes[index..<end])
                if key >> 3 == 2 || key >> 3 == 4 {
                    guard let text = String(validating: payload, as: UTF8.self) else {
                        throw ViewDecodeError("search summary field \(key >> 3) is not UTF-8")
                    }
                    if key >> 3 == 2 { scope = text } else { name = text }
                }
                index = end
            default:
                throw ViewDecodeError("search summary field \(key >> 3) has wire type \(key & 7)")
            }
        }
        guard let scope, let name else { throw ViewDecodeError("search summary without scope or name") }
        return (scope, name)
    }

    private static func varint(_ bytes: UnsafeRawBufferPointer, _ index: inout Int) throws(ViewDecodeError) -> UInt64 {
        do {
            let (value, length) = try Varint.decode(bytes, at: index)
            index += length
            return value
        } catch {
            throw ViewDecodeError("bad varint in search summary")
        }
    }
}

/// A weighted term of a document; the weight says where the term came from.
public struct SearchTerm: Sendable, Hashable {
    public var token: String
    public var weight: UInt8

    public init(token: String, weight: UInt8) {
        self.token = token
        self.weight = weight
    }
}

/// Everything the index stores for one package: the summary and the keys that find it.
public struct SearchDocument: Sendable, Hashable {
    /// A term found in several places adds up its weights (capped at 255), so a word in the
    /// name and the description beats one in the description alone.
    public enum Weight {
        public static let name: UInt8 = 12
        public static let keyword: UInt8 = 6
        public static let description: UInt8 = 2
    }

    public var summary: SearchSummary
    /// PEP 503 normal form of the name: the exact-match and prefix key.
    public var normalisedName: String
    /// Sorted by token.
    public var terms: [SearchTerm]

    public var docID: UInt64 { summary.docID }

    public init(summary: SearchSummary) {
        self.summary = summary
        self.normalisedName = Tokenizer.normaliseName(summary.name)
        terms = ASCIITerms.terms(name: summary.name, keywords: summary.keywords, tags: summary.tags, description: summary.description)
            ?? Self.tokenizedTerms(summary)
    }

    /// The terms of a summary from the tokenizer's list per field: the definition, used where
    /// a field is not plain ASCII (`ASCIITerms`).
    static func tokenizedTerms(_ summary: SearchSummary) -> [SearchTerm] {
        // Each source's tokens, tagged with their weight, sorted together: equal tokens end up
        // side by side and add up, with no dictionary or set of strings per document.
        // Each carries its first 8 bytes big-endian, zero-padded (as `IndexChanges` keys do):
        // most comparisons end there, instead of walking both strings' UTF-8.
        var tagged: [(prefix: UInt64, term: SearchTerm)] = []
        func tag(_ token: String, _ weight: UInt8) {
            var prefix: UInt64 = 0
            var shift: UInt64 = 64
            for byte in token.utf8 {
                guard shift > 0 else { break }
                shift -= 8
                prefix |= UInt64(byte) << shift
            }
            tagged.append((prefix, SearchTerm(token: token, weight: weight)))
        }
        for token in Tokenizer.nameTokens(summary.name) { tag(token, Weight.name) }
        for keyword in summary.keywords + summary.tags {
            for token in Tokenizer.keywordTokens(keyword) { tag(token, Weight.keyword) }
        }
        for token in Tokenizer.textTokens(summary.description) { tag(token, Weight.description) }
        tagged.sort { lhs, rhs in
            // Zero padding keeps prefix order consistent with byte order where prefixes differ.
            if lhs.prefix != rhs.prefix { return lhs.prefix < rhs.prefix }
            return lhs.term.token == rhs.term.token
                ? lhs.term.weight > rhs.term.weight : lhs.term.token.utf8.lexicographicallyPrecedes(rhs.term.token.utf8)
        }
        var terms: [SearchTerm] = []
        terms.reserveCapacity(tagged.count)
        var lastWeight: UInt8 = 0
        for (_, term) in tagged {
            guard let last = terms.last, last.token == term.token else {
                terms.append(term)
                lastWeight = term.weight
                continue
            }
            // Name and text tokens come once per source; a keyword token may repeat, and counts once.
            if term.weight == lastWeight { continue }
            lastWeight = term.weight
            terms[terms.count - 1].weight = UInt8(min(Int(last.weight) + Int(term.weight), 255))
        }
        return terms
    }

    /// Builds the document for a package from its current release's manifest. A manifest that
    /// does not parse still yields a findable document (name only).
    public init?(state: PackageState) {
        guard let release = state.current else { return nil }
        let manifest = ManifestSearchFields.read(release.manifest)
        self.init(summary: SearchSummary(
            package: state.key, name: state.displayName, version: release.version,
            description: manifest?.description ?? "", keywords: manifest?.keywords ?? [], tags: manifest?.tags ?? [],
            authors: manifest?.authors ?? [], publisher: release.principal, yanked: release.yanked, contested: state.contested,
            published: release.timestamp))
    }

    /// First 8 bytes of SHA-256 of the lowercased `scope/name`, big-endian: every node gives a
    /// package the same ID, and postings sorted by ID sort the same as their key bytes.
    /// Hashed here rather than through `EventID`: search checks the ID of every summary it
    /// shows, and the generic path cost more than the hash.
    public static func docID(for package: PackageKey) -> UInt64 {
        var key: [UInt8] = []
        key.reserveCapacity(package.scope.utf8.count + 1 + package.name.utf8.count)
        key.append(contentsOf: package.scope.utf8)
        key.append(UInt8(ascii: "/"))
        key.append(contentsOf: package.name.utf8)
        return SHA256.hash(data: key).withUnsafeBytes { UInt64(bigEndian: $0.loadUnaligned(as: UInt64.self)) }
    }
}
