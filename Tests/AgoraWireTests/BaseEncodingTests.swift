import AgoraCore
import Testing
@testable import AgoraWire

@Suite struct BaseEncodingTests {
    @Test func base58Vectors() throws {
        #expect(Base58.encode(Array("Hello World!".utf8)) == "2NEpo7TZRRrLZSi2U")
        #expect(Base58.encode([0, 0, 0x28, 0x7f, 0xb4, 0xcd]) == "11233QC4")
        #expect(Base58.encode([UInt8]()) == "")
        #expect(Base58.encode([0]) == "1")
        #expect(try Base58.decode("2NEpo7TZRRrLZSi2U") == Array("Hello World!".utf8))
        #expect(try Base58.decode("11233QC4") == [0, 0, 0x28, 0x7f, 0xb4, 0xcd])
        #expect(try Base58.decode("") == [])
    }

    @Test func base58RoundTripsRandomBytes() throws {
        var generator = SystemRandomNumberGenerator()
        for length in 0..<70 {
            var bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            if length > 3 { bytes[0] = 0 }
            #expect(try Base58.decode(Base58.encode(bytes)) == bytes)
        }
    }

    @Test func base58RejectsBadInput() {
        #expect(throws: Base58.DecodeError.invalidCharacter("0")) { try Base58.decode("12D30") }
        #expect(throws: Base58.DecodeError.invalidCharacter("l")) { try Base58.decode("abcl") }
        #expect(throws: Base58.DecodeError.tooLong(length: 11, limit: 10)) { try Base58.decode("11111111111", maxLength: 10) }
    }

    @Test func base32Vectors() throws {
        let vectors = ["": "", "f": "my", "fo": "mzxq", "foo": "mzxw6", "foob": "mzxw6yq", "fooba": "mzxw6ytb", "foobar": "mzxw6ytboi"]
        for (plain, encoded) in vectors {
            #expect(Multibase.encode(Array(plain.utf8), as: .base32) == "b" + encoded)
            let decoded = try Multibase.decode("b" + encoded)
            #expect(decoded.base == .base32)
            #expect(decoded.bytes == Array(plain.utf8))
            #expect(try Multibase.decode("B" + encoded.uppercased()).bytes == Array(plain.utf8))
        }
    }

    @Test func multibaseRejectsGarbage() {
        #expect(throws: Multibase.DecodeError.empty) { try Multibase.decode("") }
        #expect(throws: Multibase.DecodeError.unsupportedPrefix("m")) { try Multibase.decode("mAAAA") }
        #expect(throws: Multibase.DecodeError.invalidCharacter("1")) { try Multibase.decode("bmzx1") }
        #expect(throws: Multibase.DecodeError.invalidCharacter("M")) { try Multibase.decode("bMZXQ") }
        #expect(throws: Multibase.DecodeError.invalidLength) { try Multibase.decode("bm") }
        // "mz" leaves two non-zero bits after the single byte.
        #expect(throws: Multibase.DecodeError.invalidLength) { try Multibase.decode("bmz") }
        #expect(throws: Multibase.DecodeError.invalidCharacter("A")) { try Multibase.decode("fA0") }
        #expect(throws: Multibase.DecodeError.invalidLength) { try Multibase.decode("fa") }
        #expect(throws: Multibase.DecodeError.invalidCharacter("0")) { try Multibase.decode("z0") }
    }

    @Test func multibaseBase16AndBase58() throws {
        #expect(Multibase.encode([0xde, 0xad], as: .base16) == "fdead")
        #expect(try Multibase.decode("fdead").bytes == [0xde, 0xad])
        #expect(Multibase.encode(Array("Hello World!".utf8), as: .base58btc) == "z2NEpo7TZRRrLZSi2U")
        #expect(try Multibase.decode("z2NEpo7TZRRrLZSi2U").bytes == Array("Hello World!".utf8))
    }

    @Test func multihashSHA256AndIdentity() throws {
        let empty = Multihash.sha256(of: [UInt8]())
        #expect(Hex.encode(empty.bytes) == "1220e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(try Multihash(decoding: empty.bytes) == empty)
        let identity = Multihash.identity([1, 2, 3])
        #expect(identity.bytes == [0, 3, 1, 2, 3])
        #expect(try Multihash(decoding: [0, 3, 1, 2, 3]) == identity)
    }

    @Test func multihashRejectsBadInput() {
        #expect(throws: Multihash.DecodeError.truncated) { try Multihash(decoding: [UInt8]()) }
        #expect(throws: Multihash.DecodeError.truncated) { try Multihash(decoding: [0x12, 0x20, 1, 2]) }
        #expect(throws: Multihash.DecodeError.trailingBytes(1)) { try Multihash(decoding: [0, 1, 7, 8]) }
        #expect(throws: Multihash.DecodeError.wrongDigestLength(code: 0x12, length: 2)) { try Multihash(decoding: [0x12, 2, 1, 2]) }
        #expect(throws: Multihash.DecodeError.digestTooLong(length: 200, limit: 128)) { try Multihash(decoding: [0, 0xc8, 0x01]) }
        #expect(throws: Multihash.DecodeError.malformedVarint) { try Multihash(decoding: [0x80, 0x00, 0]) }
    }
}
