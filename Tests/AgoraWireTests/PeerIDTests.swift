import AgoraCore
import AgoraTestSupport
import Crypto
import Testing
@testable import AgoraWire

func seedKey(_ n: UInt8) throws -> Curve25519.Signing.PrivateKey {
    try Curve25519.Signing.PrivateKey(rawRepresentation: [n] + [UInt8](repeating: 0, count: 31))
}

@Suite struct PeerIDTests {
    static let vectors: [(UInt8, String)] = [
        (1, "12D3KooWPjceQrSwdWXPyLLeABRXmuqt69Rg3sBYbU1Nft9HyQ6X"),
        (2, "12D3KooWH3uVF6wv47WnArKHk5p6cvgCJEb74UTmxztmQDc298L3"),
        (3, "12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo"),
    ]

    @Test func seedsGiveLibp2pPeerIDs() throws {
        for (seed, expected) in Self.vectors {
            let key = try seedKey(seed)
            let peer = PeerID(publicKey: key.publicKey)
            #expect(peer.base58 == expected)
            #expect(peer.description == expected)
            #expect(try PeerID(string: expected) == peer)
            #expect(peer.ed25519PublicKey?.rawRepresentation == key.publicKey.rawRepresentation)
        }
    }

    @Test func publicKeyProtobufMatchesPyLibp2p() throws {
        let key = try seedKey(1).publicKey
        #expect(Hex.encode(Libp2pPublicKey.encode(key)) == "08011220cecc1507dc1ddd7295951c290888f095adb9044d1b73d696e6df065d683bd4fc")
        #expect(try Libp2pPublicKey.decode(Libp2pPublicKey.encode(key)).rawRepresentation == key.rawRepresentation)
    }

    @Test func cidFormRoundTrips() throws {
        let peer = PeerID(publicKey: try seedKey(1).publicKey)
        #expect(peer.cid == "bafzaajaiaejcbtwmcud5yho5okkzkhbjbcepbfnnxece2g3t22lonxyglvudxvh4")
        #expect(try PeerID(string: peer.cid) == peer)
        #expect(Hex.encode(peer.bytes) == "002408011220cecc1507dc1ddd7295951c290888f095adb9044d1b73d696e6df065d683bd4fc")
        #expect(try PeerID(bytes: peer.bytes) == peer)
    }

    @Test func sha256PeerIDsParseWithoutKey() throws {
        let hashed = Multihash.sha256(of: Array("some rsa key".utf8))
        let peer = try PeerID(multihash: hashed)
        #expect(peer.base58.hasPrefix("Qm"))
        #expect(try PeerID(string: peer.base58) == peer)
        #expect(peer.ed25519PublicKey == nil)
    }

    @Test func rejectsGarbage() throws {
        #expect(throws: PeerIDError.self) { try PeerID(string: "") }
        #expect(throws: PeerIDError.self) { try PeerID(string: "12D3KooW0000") }
        #expect(throws: PeerIDError.self) { try PeerID(string: "hello") }
        // A CID with the dag-pb codec is not a peer ID.
        var dagPB: [UInt8] = [1, 0x70]
        dagPB += Multihash.sha256(of: [1]).bytes
        #expect(throws: PeerIDError.notAPeerIDCID("codec 0x70, expected libp2p-key 0x72")) {
            try PeerID(string: Multibase.encode(dagPB, as: .base32))
        }
        #expect(throws: PeerIDError.unsupportedHash(code: 0x13)) { try PeerID(multihash: Multihash(code: 0x13, digest: [1])) }
        // An identity multihash whose contents are not a key.
        #expect(throws: PeerIDError.self) { try PeerID(bytes: [0, 2, 1, 2]) }
        let valid = PeerID(publicKey: try seedKey(1).publicKey).bytes
        for cut in 0..<valid.count {
            #expect(throws: PeerIDError.self) { try PeerID(bytes: valid[..<cut]) }
        }
    }

    @Test func rejectsNonEd25519Keys() {
        var writer = RawProtobufWriter()
        writer.writeVarint(field: 1, 0)
        writer.writeBytes(field: 2, [1, 2, 3])
        #expect(throws: PeerIDError.unsupportedKeyType(0)) { try Libp2pPublicKey.decode(writer.bytes) }
        var short = RawProtobufWriter()
        short.writeVarint(field: 1, 1)
        short.writeBytes(field: 2, [1, 2, 3])
        #expect(throws: PeerIDError.malformedPublicKey("ed25519 key data must be 32 bytes")) { try Libp2pPublicKey.decode(short.bytes) }
    }
}
