import AgoraTestSupport
import Testing
@testable import AgoraViews

@Suite struct TypoKeysTests {
    /// Over seeded names from a tiny alphabet (so near neighbours abound, including non-ASCII
    /// scalars and runs of one letter), the scans find exactly the names within one edit.
    @Test(arguments: [1, 2, 3] as [UInt64])
    func scansFindEveryNameWithinOneEdit(seed: UInt64) {
        var rng = SeededGenerator(seed: seed)
        let alphabet: [Character] = ["a", "b", "c", "-", "ñ", "z"]
        func word(_ length: Int) -> String { String((0..<length).map { _ in alphabet.randomElement(using: &rng)! }) }
        var names = Set<String>()
        while names.count < 3_000 { names.insert(word(Int.random(in: 1...9, using: &rng))) }
        names.insert(String(repeating: "a", count: TypoKeys.maxIndexedLength))
        var entries: [[UInt8]] = []
        for name in names { entries += TypoKeys.keys(for: name) }
        entries.sort { $0.lexicographicallyPrecedes($1) }

        var queries = (0..<400).map { _ in word(Int.random(in: 1...10, using: &rng)) }
        queries += names.shuffled(using: &rng).prefix(200).map { OneEdit.apply(to: $0, using: &rng) }
        queries.append(String(repeating: "a", count: TypoKeys.maxIndexedLength + 1))
        for query in queries {
            var found = Set<String>()
            for prefix in TypoKeys.scans(for: query) {
                for key in entries where key.starts(with: prefix) { found.insert(TypoKeys.name(ofKey: key)!) }
            }
            let scalars = Array(query.unicodeScalars)
            let confirmed = found.filter { EditDistance.singleEdit(scalars, Array($0.unicodeScalars)) != nil }
            let expected = names.filter { EditDistance.singleEdit(scalars, Array($0.unicodeScalars)) != nil }
            #expect(confirmed == expected, "query \(query)")
        }
    }

    /// The ASCII path gives the scans the definition gives, for every length up to past the
    /// longest indexed name.
    @Test func asciiScansMatchTheDefinition() {
        var rng = SeededGenerator(seed: 41)
        for length in 0...(TypoKeys.maxIndexedLength + 3) {
            for _ in 0..<20 {
                let query = String(decoding: (0..<length).map { _ in UInt8.random(in: 0x20..<0x7F, using: &rng) }, as: UTF8.self)
                #expect(TypoKeys.scans(for: query) == TypoKeys.scans(scalars: Array(query.unicodeScalars)), "query \(query)")
            }
        }
    }

    @Test func keysHoldTheNameBothWays() {
        let keys = TypoKeys.keys(for: "ñab")
        #expect(keys.count == 2)
        #expect(keys.map { TypoKeys.name(ofKey: $0) } == ["ñab", "ñab"])
        #expect(keys[0].prefix(2) == [0x66, 3] && keys[1].prefix(2) == [0x72, 3])
        #expect(TypoKeys.keys(for: "").isEmpty)
        #expect(TypoKeys.keys(for: String(repeating: "x", count: TypoKeys.maxIndexedLength + 1)).isEmpty)
        #expect(TypoKeys.name(ofKey: [0x41, 1, 0x61]) == nil)
    }
}
