import Testing
@testable import AgoraCore

@Suite struct VarintTests {
    @Test func roundTripsBoundaries() throws {
        for value: UInt64 in [0, 1, 127, 128, 300, 16_383, 16_384, UInt64(UInt32.max), UInt64.max] {
            let bytes = Varint.encode(value)
            #expect(bytes.count == Varint.encodedLength(value))
            let decoded = try Varint.decode(bytes, at: 0)
            #expect(decoded.value == value)
            #expect(decoded.length == bytes.count)
        }
    }

    @Test func rejectsBadInput() {
        #expect(throws: Varint.DecodeError.truncated) { try Varint.decode([0x80, 0x80], at: 0) }
        #expect(throws: Varint.DecodeError.nonMinimal) { try Varint.decode([0x80, 0x00], at: 0) }
        #expect(throws: Varint.DecodeError.overflow) {
            try Varint.decode([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02], at: 0)
        }
    }

    @Test func hexRoundTrip() {
        #expect(Hex.encode([0x00, 0xab, 0xff]) == "00abff")
        #expect(Hex.decode("00ABff") == [0x00, 0xab, 0xff])
        #expect(Hex.decode("abc") == nil)
        #expect(Hex.decode("zz") == nil)
    }
}
