@testable import AgoraCore
import Testing

/// Keys and event IDs compare their bytes word by word: equal exactly when the bytes are.
@Suite struct KeyEqualityTests {
    /// Byte strings of every length up to 40 (whole words and tails), equal copies in separate
    /// buffers, and each one byte changed at every position.
    @Test func wordwiseEqualityMatchesBytewise() {
        var random = SplitMix64(seed: 0xe9a1)
        for length in 0...40 {
            let bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            let copy = bytes.map { $0 }
            #expect(bytes.equalsByWords(copy))
            #expect(!bytes.equalsByWords(bytes + [0]))
            #expect(!(bytes + [0]).equalsByWords(bytes))
            for position in 0..<length {
                var changed = copy
                changed[position] ^= UInt8(truncatingIfNeeded: random.next() % 255 + 1)
                #expect(!bytes.equalsByWords(changed), "length \(length), position \(position)")
            }
        }
    }

    @Test func keysAndIDsAreEqualExactlyWhenTheirBytesAre() throws {
        var random = SplitMix64(seed: 0x1d5)
        for _ in 0..<200 {
            let bytes = (0..<32).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            var other = bytes.map { $0 }
            #expect(try PublicKey(bytes: bytes) == PublicKey(bytes: other))
            #expect(try EventID(bytes: bytes) == EventID(bytes: other))
            #expect(try Set([PublicKey(bytes: bytes), PublicKey(bytes: other)]).count == 1)
            other[Int(random.next() % 32)] ^= 0x80
            #expect(try PublicKey(bytes: bytes) != PublicKey(bytes: other))
            #expect(try EventID(bytes: bytes) != EventID(bytes: other))
        }
    }
}
