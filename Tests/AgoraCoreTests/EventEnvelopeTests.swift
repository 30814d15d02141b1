import AgoraTestSupport
import Testing
@testable import AgoraCore

/// The one-pass envelope parser must accept exactly the events the field-list reader
/// (`CanonicalReader` plus the envelope's field reads) accepts, with the same fields: a
/// stricter or looser decoder would make nodes disagree about which events exist.
@Suite struct EventEnvelopeTests {
    /// The envelope as the field-list reader sees it, or nil where it rejects the bytes.
    struct Reference: Equatable {
        var format, seq, timestamp, kind: UInt64
        var author, prev, body: [UInt8]
        var signedLength: Int

        init?(_ bytes: [UInt8]) {
            guard let reader = try? CanonicalReader(bytes[...]), let last = reader.fields.last,
                  last.tag == 15, last.wireType == 2, last.payload.count == 64,
                  let format = try? reader.uint(1), let author = try? reader.bytes(2), let seq = try? reader.uint(3),
                  let prev = try? reader.bytes(4), let timestamp = try? reader.uint(5), let kind = try? reader.uint(6),
                  let body = try? reader.bytes(7)
            else { return nil }
            (self.format, self.seq, self.timestamp, self.kind) = (format, seq, timestamp, kind)
            (self.author, self.prev, self.body, signedLength) = (author, prev, body, last.raw.startIndex)
        }

        init(_ envelope: EventEnvelope, _ bytes: [UInt8]) {
            (format, seq, timestamp, kind) = (envelope.format, envelope.seq, envelope.timestamp, envelope.kind)
            author = envelope.author.map { Array(bytes[$0]) } ?? []
            prev = envelope.prev.map { Array(bytes[$0]) } ?? []
            body = envelope.body.map { Array(bytes[$0]) } ?? []
            signedLength = envelope.signedLength
        }
    }

    /// Field-level variations (repeats, wrong wire types, unknown and default fields, a moved
    /// or short signature) and byte-level mutations of genuine events.
    @Test(arguments: 0..<8) func acceptsExactlyWhatTheFieldReaderAccepts(seed: UInt64) throws {
        var rng = SeededGenerator(seed: seed)
        var feed = FeedBuilder(seed: UInt8(seed + 1))
        let genuine = (0..<20).map { feed.publish("scope", "pkg\($0)", "1.0.\($0)") }
        var accepted = 0
        for round in 0..<2000 {
            let event = genuine.randomElement(using: &rng)!
            let bytes = round % 2 == 0 ? Self.rebuilt(event, &rng) : Self.mutated(event.bytes, &rng)
            let reference = Reference(bytes)
            let envelope = try? EventEnvelope(bytes)
            #expect(reference == envelope.map { Reference($0, bytes) }, "round \(round): \(bytes)")
            if reference != nil { accepted += 1 }
        }
        #expect(accepted > 100, "the generator makes acceptable envelopes too")
    }

    /// The event's fields re-encoded with random changes to the field list.
    static func rebuilt(_ event: Event, _ rng: inout SeededGenerator) -> [UInt8] {
        var fields: [(tag: UInt64, wire: UInt64, value: UInt64, payload: [UInt8])] = [
            (1, 0, Event.format, []), (2, 2, 0, event.author.bytes), (3, 0, event.seq, []),
        ]
        if let prev = event.prev { fields.append((4, 2, 0, prev.bytes)) }
        fields += [(5, 0, event.timestamp, []), (6, 0, event.kindCode, []), (7, 2, 0, event.body), (15, 2, 0, Array(event.signature))]
        for _ in 0..<Int.random(in: 0...2, using: &rng) {
            let index = Int.random(in: 0..<fields.count, using: &rng)
            let tag = [1, 2, 3, 4, 5, 6, 7, 8, 9, 14, 15, 16].randomElement(using: &rng)! as UInt64
            switch Int.random(in: 0..<7, using: &rng) {
            case 0: fields.insert(fields[index], at: index)
            case 1: fields.insert((fields[index].tag, 2, 0, [1, 2, 3]), at: index + 1)
            case 2: fields.insert((tag, 0, UInt64.random(in: 0...3, using: &rng), []), at: index)
            case 3: fields.insert((tag, 2, 0, Array(repeating: 9, count: Int.random(in: 0...64, using: &rng))), at: index)
            case 4: fields.remove(at: index)
            case 5: fields.swapAt(index, Int.random(in: 0..<fields.count, using: &rng))
            default: fields[index] = (fields[index].tag, 2 - fields[index].wire, 1, [7])
            }
        }
        var out: [UInt8] = []
        for field in fields {
            Varint.encode(field.tag << 3 | field.wire, into: &out)
            if field.wire == 0 {
                Varint.encode(field.value, into: &out)
            } else {
                Varint.encode(UInt64(field.payload.count), into: &out)
                out += field.payload
            }
        }
        return out
    }

    static func mutated(_ bytes: [UInt8], _ rng: inout SeededGenerator) -> [UInt8] {
        var out = bytes
        for _ in 0..<Int.random(in: 1...3, using: &rng) where !out.isEmpty {
            let at = Int.random(in: 0..<out.count, using: &rng)
            switch Int.random(in: 0..<4, using: &rng) {
            case 0: out[at] = UInt8.random(in: 0...255, using: &rng)
            case 1: out.insert(UInt8.random(in: 0...255, using: &rng), at: at)
            case 2: out.remove(at: at)
            default: out.removeLast(Int.random(in: 0...min(8, out.count), using: &rng))
            }
        }
        return out
    }
}
