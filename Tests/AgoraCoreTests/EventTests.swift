import Testing
@testable import AgoraCore

@Suite struct EventTests {
    let alice = try! Identity(seed: [UInt8](repeating: 1, count: 32))

    func release(_ version: String) -> EventBody {
        .releasePublished(ReleasePublished(
            scope: "acme", name: "json", version: version,
            manifest: Manifest(scope: "acme", name: "json", version: version).canonicalJSON(),
            archiveDigest: [UInt8](repeating: 7, count: 32), archiveSize: 1234))
    }

    @Test func signedEventRoundTripsAndVerifies() throws {
        let first = try Event.sign(by: alice, seq: 1, prev: nil, timestamp: 1_700_000_000_000, body: release("1.0.0"))
        let second = try Event.sign(by: alice, seq: 2, prev: first.id, timestamp: 1_700_000_000_001, body: release("1.1.0"))
        #expect(first.verifySignature())
        #expect(second.verifySignature())
        let decoded = try Event(decoding: second.bytes)
        #expect(decoded == second)
        #expect(decoded.prev == first.id)
        #expect(decoded.author == alice.publicKey)
        #expect(decoded.kind == .releasePublished)
        guard case .releasePublished(let body) = try decoded.decodedBody() else {
            Issue.record("wrong body kind")
            return
        }
        #expect(body.version == "1.1.0")
        #expect(body.archiveSize == 1234)
        #expect(EventID(hashing: second.bytes) == second.id)
    }

    @Test func everyFlippedByteIsDetected() throws {
        let event = try Event.sign(by: alice, seq: 1, prev: nil, timestamp: 5, body: release("1.0.0"))
        for index in event.bytes.indices {
            var bytes = event.bytes
            bytes[index] ^= 0x01
            if let tampered = try? Event(decoding: bytes) {
                #expect(!tampered.verifySignature(), "flipping byte \(index) went unnoticed")
            }
        }
    }

    @Test func unknownFieldsArePreservedAndSigned() throws {
        var writer = CanonicalWriter()
        writer.varint(1, Event.format)
        writer.bytes(2, alice.publicKey.bytes)
        writer.varint(3, 1)
        writer.varint(5, 9)
        writer.varint(6, 99)
        writer.bytes(7, [0x08, 0x01])
        writer.string(9, "from the future")
        let signature = try alice.sign(writer.bytes)
        writer.bytes(15, signature)
        let event = try Event(decoding: writer.bytes)
        #expect(event.verifySignature())
        #expect(event.kind == nil)
        #expect(try event.decodedBody() == .unknown(kind: 99, bytes: [0x08, 0x01]))
    }

    @Test func nonCanonicalAndOversizedInputIsRejected() throws {
        let event = try Event.sign(by: alice, seq: 1, prev: nil, timestamp: 5, body: release("1.0.0"))
        #expect(throws: EventError.self) { try Event(decoding: Array(event.bytes.dropLast())) }
        #expect(throws: EventError.self) { try Event(decoding: []) }
        #expect(throws: EventError.self) { try Event(decoding: [UInt8](repeating: 0, count: Event.maxSize + 1)) }
        var reordered = CanonicalWriter()
        reordered.varint(1, 1)
        var bytes = reordered.bytes
        bytes += [0x18, 0x01, 0x08, 0x01]
        #expect(throws: EventError.self) { try Event(decoding: bytes) }
    }

    @Test func manifestCanonicalJSONIsStable() throws {
        let manifest = Manifest(scope: "acme", name: "json", version: "1.0.0", keywords: ["b", "a"], dependencies: ["z/z": "^1.0.0", "a/a": "*"])
        let json = manifest.canonicalJSON()
        #expect(try Manifest.decode(json: json) == manifest)
        #expect(try Manifest.decode(json: json).canonicalJSON() == json)
        #expect(String(decoding: json, as: UTF8.self).hasPrefix(#"{"authors":[],"dependencies":{"a/a":"*","z/z":"^1.0.0"}"#))
    }
}
