import AgoraTestSupport

/// Makes fuzz inputs from a seeded generator: plain random bytes for the shapes nobody
/// thought of, and mutations of valid seeds (bit flips, boundary bytes, huge numbers,
/// inserted, deleted, duplicated and spliced chunks) that get past the first checks of a
/// decoder and into its deeper branches.
struct Mutator {
    private var random: SeededGenerator
    private let seeds: [[UInt8]]
    let maxLength: Int

    /// Byte values that sit on boundaries of common encodings (varint continuation,
    /// signed limits, ASCII punctuation of versions and ranges).
    private static let interesting: [UInt8] = [
        0x00, 0x01, 0x7F, 0x80, 0xFF, 0xFE, 0x0A, 0x0D, 0x1B, 0x20,
        UInt8(ascii: "0"), UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "-"), UInt8(ascii: "+"),
        UInt8(ascii: "^"), UInt8(ascii: "~"), UInt8(ascii: "*"), UInt8(ascii: "x"), UInt8(ascii: "|"),
        UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "="), UInt8(ascii: "\""), UInt8(ascii: "{"), UInt8(ascii: "["),
    ]

    /// Numbers that overflow 32 and 64 bits, as text and as maximal varints.
    private static let tokens: [[UInt8]] = [
        Array("18446744073709551615".utf8), Array("18446744073709551616".utf8),
        Array("99999999999999999999999".utf8), Array("4294967296".utf8), Array("-1".utf8),
        [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01],
        [0xFF, 0xFF, 0xFF, 0xFF, 0x0F], [0xFF, 0xFF, 0xFF, 0xFF], [0x7F, 0xFF, 0xFF, 0xFF],
        [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00],
    ]

    init(seed: UInt64, seeds: [[UInt8]], maxLength: Int) {
        self.random = SeededGenerator(seed: seed)
        self.seeds = seeds
        self.maxLength = maxLength
    }

    private mutating func below(_ bound: Int) -> Int {
        Int(random.next() % UInt64(max(1, bound)))
    }

    mutating func next() -> [UInt8] {
        if seeds.isEmpty || below(8) == 0 {
            return (0..<below(min(maxLength, 512) + 1)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        }
        var input = seeds[below(seeds.count)]
        for _ in 0...below(8) {
            mutate(&input)
        }
        if input.count > maxLength { input.removeLast(input.count - maxLength) }
        return input
    }

    private mutating func mutate(_ input: inout [UInt8]) {
        let position = below(input.count + 1)
        switch below(9) {
        case 0 where !input.isEmpty:
            input[min(position, input.count - 1)] ^= 1 << UInt8(below(8))
        case 1 where !input.isEmpty:
            input[min(position, input.count - 1)] = Self.interesting[below(Self.interesting.count)]
        case 2:
            input.insert(contentsOf: (0..<below(16) + 1).map { _ in UInt8(truncatingIfNeeded: random.next()) }, at: position)
        case 3 where !input.isEmpty:
            let start = below(input.count)
            input.removeSubrange(start..<min(input.count, start + below(32) + 1))
        case 4 where !input.isEmpty:
            let start = below(input.count)
            let chunk = input[start..<min(input.count, start + below(64) + 1)]
            input.insert(contentsOf: chunk, at: position)
        case 5:
            let other = seeds[below(seeds.count)]
            guard !other.isEmpty else { return }
            let start = below(other.count)
            input.insert(contentsOf: other[start..<min(other.count, start + below(128) + 1)], at: position)
        case 6:
            input.insert(contentsOf: Self.tokens[below(Self.tokens.count)], at: position)
        case 7:
            input.removeLast(input.count - position)
        default:
            // Overwrite a 1–4 byte field with a boundary value (length prefixes, counts).
            guard input.count >= 4 else { return }
            let at = below(input.count - 3)
            let value: UInt32 = [0, 1, 0x7FFF_FFFF, 0xFFFF_FFFF, 0x8000_0000, 0xFFFF][below(6)]
            withUnsafeBytes(of: value.bigEndian) { bytes in
                for (offset, byte) in bytes.enumerated() where below(2) == 0 { input[at + offset] = byte }
            }
        }
    }
}
