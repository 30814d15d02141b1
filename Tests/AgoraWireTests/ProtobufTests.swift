import Testing
@testable import AgoraWire

@Suite struct ProtobufTests {
    @Test func writesKnownEncoding() {
        var writer = ProtobufWriter()
        writer.writeVarint(field: 1, 150)
        writer.writeString(field: 2, "testing")
        #expect(writer.bytes == [0x08, 0x96, 0x01, 0x12, 0x07] + Array("testing".utf8))
    }

    @Test func roundTripsEveryWireTypeAndNestedMessages() throws {
        var writer = ProtobufWriter()
        writer.writeVarint(field: 1, UInt64.max)
        writer.writeBool(field: 2, true)
        writer.writeBytes(field: 3, [1, 2, 3])
        writer.writeFixed32(field: 4, 0xdead_beef)
        writer.writeFixed64(field: 5, 0x0102_0304_0506_0708)
        writer.writeMessage(field: 6) { nested in
            nested.writeString(field: 1, "inner")
        }
        writer.writeString(field: 1000, "ünïcode")

        var reader = try ProtobufReader(writer.bytes)
        var seen: [Int] = []
        while let field = try reader.next() {
            seen.append(field.number)
            switch field.number {
            case 1: #expect(try field.uint64() == UInt64.max)
            case 2: #expect(try field.bool())
            case 3: #expect(try field.bytes() == [1, 2, 3])
            case 4: #expect(field.value == .fixed32(0xdead_beef))
            case 5: #expect(field.value == .fixed64(0x0102_0304_0506_0708))
            case 6:
                var nested = try field.message()
                let inner = try #require(try nested.next())
                #expect(try inner.string() == "inner")
                #expect(try nested.next() == nil)
            case 1000: #expect(try field.string() == "ünïcode")
            default: Issue.record("unexpected field \(field.number)")
            }
        }
        #expect(seen == [1, 2, 3, 4, 5, 6, 1000])
    }

    @Test func skipsUnknownFieldsOfEveryType() throws {
        var writer = ProtobufWriter()
        writer.writeFixed64(field: 9, 1)
        writer.writeFixed32(field: 8, 2)
        writer.writeBytes(field: 7, [9, 9])
        writer.writeVarint(field: 1, 42)
        var reader = try ProtobufReader(writer.bytes)
        var value: UInt64?
        while let field = try reader.next() {
            if field.number == 1 { value = try field.uint64() }
        }
        #expect(value == 42)
    }

    @Test func rejectsTruncationAndLimits() throws {
        var writer = ProtobufWriter()
        writer.writeBytes(field: 1, [UInt8](repeating: 7, count: 100))
        let full = writer.bytes
        for cut in 1..<full.count {
            var reader = try ProtobufReader(full[..<cut])
            #expect(throws: ProtobufError.truncated) { while try reader.next() != nil {} }
        }
        var limited = try ProtobufReader(full, limits: .init(maxMessageLength: 1000, maxFieldLength: 50))
        #expect(throws: ProtobufError.fieldTooLong(field: 1, length: 100, limit: 50)) { _ = try limited.next() }
        #expect(throws: ProtobufError.messageTooLong(length: full.count, limit: 10)) {
            _ = try ProtobufReader(full, limits: .init(maxMessageLength: 10, maxFieldLength: 10))
        }
    }

    @Test func rejectsMalformedFields() throws {
        var groups = try ProtobufReader([0x0b])
        #expect(throws: ProtobufError.unsupportedWireType(3)) { _ = try groups.next() }
        var zero = try ProtobufReader([0x00, 0x01])
        #expect(throws: ProtobufError.invalidFieldNumber(0)) { _ = try zero.next() }
        var badUTF8 = try ProtobufReader([0x0a, 0x02, 0xc3, 0x28])
        let field = try #require(try badUTF8.next())
        #expect(throws: ProtobufError.invalidUTF8(field: 1)) { _ = try field.string() }
        #expect(throws: ProtobufError.wrongWireType(field: 1, expected: .varint, actual: .lengthDelimited)) { _ = try field.uint64() }
        var badBool = try ProtobufReader([0x08, 0x02])
        #expect(throws: ProtobufError.valueOutOfRange(field: 1)) { _ = try badBool.next()?.bool() }
    }
}
