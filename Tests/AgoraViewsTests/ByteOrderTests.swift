import AgoraTestSupport
import Testing
@testable import AgoraViews

/// The `memcmp` order must be exactly the generic byte order the sorts used before.
@Suite struct ByteOrderTests {
    static let alphabet: [UInt8] = [0, 1, 0x2D, 0x41, 0x61, 0x62, 0x7F, 0x80, 0xC3, 0xA9, 0xFF]

    @Test(arguments: 0..<4)
    func matchesLexicographicOrder(seed: UInt64) {
        var rng = SeededGenerator(seed: 70 + seed)
        for _ in 0..<1_000 {
            let lhs = (0..<Int.random(in: 0...20, using: &rng)).map { _ in Self.alphabet.randomElement(using: &rng)! }
            // Often a prefix or a near copy of `lhs`, so ties and prefixes are exercised.
            var rhs = Bool.random(using: &rng) ? Array(lhs.prefix(Int.random(in: 0...lhs.count, using: &rng))) : lhs
            if Bool.random(using: &rng) { rhs.append(Self.alphabet.randomElement(using: &rng)!) }
            if !rhs.isEmpty, Bool.random(using: &rng) { rhs[Int.random(in: 0..<rhs.count, using: &rng)] = Self.alphabet.randomElement(using: &rng)! }
            #expect(ByteOrder.precedes(lhs, rhs) == lhs.lexicographicallyPrecedes(rhs))
        }
    }
}
