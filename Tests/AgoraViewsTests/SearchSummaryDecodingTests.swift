import AgoraCore
import AgoraStore
import AgoraTestSupport
import Testing
@testable import AgoraViews

/// The byte-level summary reader search uses must give what the canonical definition gives
/// (without the key's hash, which search leaves to `agora verify`): on every record it
/// accepts, the same summary, and on records it leaves alone, the definition's answer (a value
/// or the error).
@Suite struct SearchSummaryDecodingTests {
    static func text(_ rng: inout SeededGenerator, maxLength: Int) -> String {
        let pieces: [String] = ["a", "Z", "0", "-", "_", ".", " ", "ñ", "é", "日", "🙂", "py", "http", "/"]
        return (0..<Int.random(in: 0...maxLength, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined()
    }

    static func summary(_ rng: inout SeededGenerator, publishers: [PublicKey]) -> SearchSummary {
        var scope = text(&rng, maxLength: 4).replacingOccurrences(of: "/", with: "")
        var name = text(&rng, maxLength: 8).replacingOccurrences(of: "/", with: "")
        if scope.isEmpty { scope = "s" }
        if name.isEmpty { name = "n" }
        func list() -> [String] { (0..<Int.random(in: 0...3, using: &rng)).map { _ in text(&rng, maxLength: 5) } }
        return SearchSummary(
            package: PackageKey(scope: scope, name: name), name: Bool.random(using: &rng) ? name : name.uppercased(),
            version: text(&rng, maxLength: 4), description: text(&rng, maxLength: 30), keywords: list(), tags: list(), authors: list(),
            publisher: Bool.random(using: &rng) ? publishers.randomElement(using: &rng) : nil, yanked: Bool.random(using: &rng),
            contested: Bool.random(using: &rng), published: Bool.random(using: &rng) ? 0 : UInt64.random(in: 1...UInt64.max, using: &rng))
    }

    static func definition(_ bytes: [UInt8], checkingID: Bool = false) -> Result<SearchSummary, ViewDecodeError> {
        Result { () throws(ViewDecodeError) in try SearchSummary(decoding: bytes, checkingID: checkingID) }
    }

    /// Document IDs are shared by every node: the first 8 bytes of SHA-256 of `scope/name`.
    @Test func documentIDIsTheKeysHashPrefix() {
        var rng = SeededGenerator(seed: 9)
        for _ in 0..<300 {
            let key = PackageKey(scope: Self.text(&rng, maxLength: 4) + "s", name: Self.text(&rng, maxLength: 8) + "n")
            let digest = EventID(hashing: Array(key.description.utf8)).bytes
            #expect(SearchDocument.docID(for: key) == digest.prefix(8).reduce(0) { $0 << 8 | UInt64($1) }, "\(key)")
        }
    }

    @Test(arguments: [1, 2, 3] as [UInt64])
    func readsWhatTheDefinitionReads(seed: UInt64) throws {
        var rng = SeededGenerator(seed: seed)
        let publishers = try (1...3).map { try Identity(seed: [UInt8](repeating: UInt8($0), count: 32)).publicKey }
        var mutatedAccepted = 0
        var hashMismatches = 0
        for _ in 0..<400 {
            let summary = Self.summary(&rng, publishers: publishers)
            let encoded = summary.encoded()
            let fast = encoded.withUnsafeBytes { SearchSummary(canonical: $0) }
            #expect(fast == summary, "every record the writer makes takes the fast path")
            #expect(try encoded.withUnsafeBytes { try SearchSummary.decode($0, storedAs: summary.docID) } == summary)
            #expect(throws: ViewDecodeError.self) { try encoded.withUnsafeBytes { try SearchSummary.decode($0, storedAs: summary.docID ^ 1) } }

            // Damaged or unusual records: whatever the fast path accepts, the definition accepts
            // with the same value; the rest goes to the definition.
            for _ in 0..<25 {
                var bytes = encoded
                switch Int.random(in: 0..<5, using: &rng) {
                case 0: bytes[Int.random(in: 0..<bytes.count, using: &rng)] ^= UInt8.random(in: 1...255, using: &rng)
                case 1: bytes.removeLast(Int.random(in: 1...bytes.count, using: &rng))
                case 2: bytes.insert(UInt8.random(in: 0...255, using: &rng), at: Int.random(in: 0...bytes.count, using: &rng))
                case 3:
                    let start = Int.random(in: 0..<bytes.count, using: &rng)
                    let end = Int.random(in: start...min(bytes.count, start + 12), using: &rng)
                    bytes.insert(contentsOf: bytes[start..<end], at: end)
                default: bytes += Self.summary(&rng, publishers: publishers).encoded().suffix(Int.random(in: 1...8, using: &rng))
                }
                let fast = bytes.withUnsafeBytes { SearchSummary(canonical: $0) }
                let expected = Self.definition(bytes)
                if let fast {
                    mutatedAccepted += 1
                    #expect(try expected.get() == fast, "\(bytes)")
                }
                // Search refuses only what the definition refuses, or a record of another ID
                // than its place; the writer's check of the key's hash refuses more.
                let decoded = bytes.withUnsafeBytes { bytes in
                    Result { () throws(ViewDecodeError) in try SearchSummary.decode(bytes, storedAs: summary.docID) }
                }
                switch (expected, decoded) {
                case (.success(let left), .success(let right)): #expect(left == right && left.docID == summary.docID)
                case (.success(let left), .failure): #expect(left.docID != summary.docID)
                case (.failure(let left), .failure(let right)): #expect(left.description == right.description)
                case (.failure, .success): Issue.record("search accepts what the definition refuses: \(bytes)")
                }
                if case .success(let checked) = Self.definition(bytes, checkingID: true) {
                    #expect(checked.docID == SearchDocument.docID(for: checked.package) && (try? expected.get()) == checked)
                }
                if case .success(let unchecked) = expected, unchecked.docID != SearchDocument.docID(for: unchecked.package) {
                    hashMismatches += 1
                    #expect(throws: ViewDecodeError.self) { try SearchSummary(decoding: bytes) }
                }
            }
        }
        #expect(mutatedAccepted > 0, "some changed records stay valid (a flipped letter), exercising the comparison")
        #expect(hashMismatches > 0, "some changed keys no longer hash to their ID")
    }
}
