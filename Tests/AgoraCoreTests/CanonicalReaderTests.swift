import AgoraTestSupport
import Testing
@testable import AgoraCore

/// `CanonicalReader` keeps fields as offsets and reads them in place; every read must still
/// give what the field-list definitions give (first occurrence, a bytes field present at most
/// once, text valid UTF-8), or two nodes would decode one event differently.
@Suite struct CanonicalReaderTests {
    /// Generated messages over a few tags with repeats, both wire types, ASCII, multi-byte and
    /// invalid UTF-8 payloads; each read compared with its definition over `fields`.
    @Test(arguments: 0..<6) func readsAgreeWithTheFieldList(seed: UInt64) throws {
        var rng = SeededGenerator(seed: seed)
        var decoded = 0
        for round in 0..<1500 {
            let message = Self.message(&rng)
            guard let reader = try? CanonicalReader(message[...]) else { continue }
            decoded += 1
            let fields = reader.fields
            #expect(fields.flatMap(\.raw) == message, "round \(round): fields cover the message")
            for tag in UInt64(1)...6 {
                let matching = fields.filter { $0.tag == tag }
                #expect(reader.field(tag) == matching.first, "round \(round), tag \(tag)")
                #expect(Result { try reader.uint(tag) }.value == Self.uint(matching), "round \(round), tag \(tag)")
                #expect(Result { try reader.bytes(tag) }.value == Self.bytes(matching), "round \(round), tag \(tag)")
                #expect(Result { try reader.string(tag) }.value == Self.bytes(matching).flatMap(Self.text),
                        "round \(round), tag \(tag)")
                #expect(Result { try reader.strings(tag) }.value == Self.strings(matching), "round \(round), tag \(tag)")
            }
            #expect(reader.unknown(known: [1, 3, 5]) == fields.filter { ![1, 3, 5].contains($0.tag) })
        }
        #expect(decoded > 300, "the generator makes canonical messages too")
    }

    /// ASCII goes the fast way, everything else through validation: both give what
    /// `String(validating:)` gives, for every position of a non-ASCII byte in and around a word.
    @Test(arguments: 0..<4) func textAgreesWithValidation(seed: UInt64) {
        var rng = SeededGenerator(seed: seed)
        for round in 0..<3000 {
            let bytes = Self.payload(&rng)
            let expected = String(validating: bytes, as: UTF8.self)
            #expect(UTF8Text.string(bytes[...]) == expected, "round \(round): \(bytes)")
            #expect(bytes.withUnsafeBufferPointer(UTF8Text.isASCII) == bytes.allSatisfy { $0 < 0x80 }, "round \(round): \(bytes)")
        }
    }

    // MARK: Definitions over the field list

    static func uint(_ matching: [CanonicalField]) -> UInt64? {
        guard let first = matching.first else { return 0 }
        return first.wireType == 0 ? first.value : nil
    }

    static func bytes(_ matching: [CanonicalField]) -> [UInt8]? {
        guard let first = matching.first else { return [] }
        return matching.count == 1 && first.wireType == 2 ? Array(first.payload) : nil
    }

    static func text(_ bytes: [UInt8]) -> String? {
        String(validating: bytes, as: UTF8.self)
    }

    static func strings(_ matching: [CanonicalField]) -> [String]? {
        var out: [String] = []
        for field in matching {
            guard field.wireType == 2, let text = String(validating: field.payload, as: UTF8.self) else { return nil }
            out.append(text)
        }
        return out
    }

    // MARK: Generators

    static func message(_ rng: inout SeededGenerator) -> [UInt8] {
        var out: [UInt8] = []
        var tag = UInt64(1)
        for _ in 0..<Int.random(in: 0...8, using: &rng) {
            // Mostly ascending, sometimes repeated, rarely backwards (rejected by the reader).
            switch Int.random(in: 0..<10, using: &rng) {
            case 0..<6: tag += UInt64.random(in: 1...2, using: &rng)
            case 6..<9: break
            default: tag = max(1, tag - 1)
            }
            if Bool.random(using: &rng) {
                Varint.encode(tag << 3, into: &out)
                Varint.encode(UInt64.random(in: 0...300, using: &rng), into: &out)
            } else {
                let payload = payload(&rng)
                Varint.encode(tag << 3 | 2, into: &out)
                Varint.encode(UInt64(payload.count), into: &out)
                out += payload
            }
        }
        return out
    }

    static func payload(_ rng: inout SeededGenerator) -> [UInt8] {
        var out = Array("abcdefghijklmnopqrstuvwxyz-0123456789".utf8).shuffled(using: &rng).prefix(Int.random(in: 0...20, using: &rng))
        guard Bool.random(using: &rng) else { return Array(out) }
        let inserts: [[UInt8]] = [
            Array("é".utf8), Array("日本".utf8), Array("🙂".utf8), [0x80], [0xc3], [0xff], [0xe2, 0x82], [0xed, 0xa0, 0x80],
        ]
        let position = Int.random(in: 0...out.count, using: &rng)
        out.insert(contentsOf: inserts.randomElement(using: &rng)!, at: out.startIndex + position)
        return Array(out)
    }
}

private extension Result {
    var value: Success? { try? get() }
}
