import AgoraTestSupport
import Testing
@testable import AgoraDHT

@Suite struct KadMessageTests {
    func randomBytes(_ count: Int, _ random: inout SeededGenerator) -> [UInt8] {
        (0..<count).map { _ in UInt8.random(in: 0...255, using: &random) }
    }

    func randomMessage(_ random: inout SeededGenerator) -> KadMessage {
        func peer() -> KadMessage.Peer {
            KadMessage.Peer(
                id: randomBytes(38, &random),
                addresses: (0..<Int.random(in: 0...3, using: &random)).map { _ in randomBytes(Int.random(in: 1...30, using: &random), &random) },
                connection: KadMessage.Connection(rawValue: UInt64.random(in: 0...3, using: &random))!
            )
        }
        return KadMessage(
            type: KadMessage.MessageType.allCases.randomElement(using: &random)!,
            key: randomBytes(Int.random(in: 0...40, using: &random), &random),
            record: Bool.random(using: &random) ? .init(key: randomBytes(10, &random), value: randomBytes(Int.random(in: 0...200, using: &random), &random)) : nil,
            closerPeers: (0..<Int.random(in: 0...20, using: &random)).map { _ in peer() },
            providerPeers: (0..<Int.random(in: 0...5, using: &random)).map { _ in peer() }
        )
    }

    @Test(arguments: [1, 2, 3] as [UInt64]) func roundTrips(seed: UInt64) throws {
        var random = SeededGenerator(seed: seed)
        for _ in 0..<200 {
            let message = randomMessage(&random)
            #expect(try KadMessage(decoding: message.encoded()) == message)
        }
    }

    @Test func decodesWhatOtherImplementationsAddAndSkipsUnknownFields() throws {
        var peer = RawProtobufWriter()
        peer.writeBytes(field: 1, [1, 2, 3])
        peer.writeBytes(field: 2, [4, 5])
        peer.writeVarint(field: 3, 9)            // unknown connection type
        peer.writeBytes(field: 4, [7])           // py-libp2p's extra Peer field
        var record = RawProtobufWriter()
        record.writeBytes(field: 1, [8])
        record.writeBytes(field: 2, [9])
        record.writeBytes(field: 3, [1])         // py-libp2p's Record fields 3 and 4
        record.writeString(field: 5, "2026-12-01T00:00:00Z")
        var message = RawProtobufWriter()
        message.writeVarint(field: 1, 3)
        message.writeBytes(field: 2, [0xAA])
        message.writeBytes(field: 3, record.bytes)
        message.writeBytes(field: 9, peer.bytes)
        message.writeVarint(field: 10, 5)        // clusterLevelRaw
        message.writeBytes(field: 11, [1, 2])    // py-libp2p's extra Message field
        let decoded = try KadMessage(decoding: message.bytes)
        #expect(decoded.type == .getProviders)
        #expect(decoded.record == .init(key: [8], value: [9], timeReceived: "2026-12-01T00:00:00Z"))
        #expect(decoded.providerPeers == [.init(id: [1, 2, 3], addresses: [[4, 5]], connection: .notConnected)])
        // A message with no type field is PUT_VALUE (proto3 default).
        #expect(try KadMessage(decoding: []).type == .putValue)
    }

    @Test func boundsEveryList() {
        let limits = KadLimits(maxFrameLength: 4096, maxKeyLength: 16, maxValueLength: 32, maxPeersPerList: 3, maxAddressesPerPeer: 2, maxAddressLength: 8)
        let tooManyPeers = KadMessage(type: .findNode, closerPeers: Array(repeating: .init(id: [1]), count: 4))
        #expect(throws: KadMessageError.tooLong(what: "closerPeers", count: 4, limit: 3)) { try KadMessage(decoding: tooManyPeers.encoded(), limits: limits) }
        let longKey = KadMessage(type: .getValue, key: Array(repeating: 1, count: 17))
        #expect(throws: KadMessageError.tooLong(what: "key", count: 17, limit: 16)) { try KadMessage(decoding: longKey.encoded(), limits: limits) }
        let manyAddresses = KadMessage(type: .findNode, closerPeers: [.init(id: [1], addresses: [[1], [2], [3]])])
        #expect(throws: KadMessageError.tooLong(what: "peer addresses", count: 3, limit: 2)) { try KadMessage(decoding: manyAddresses.encoded(), limits: limits) }
        let bigValue = KadMessage(type: .putValue, record: .init(key: [1], value: Array(repeating: 0, count: 33)))
        #expect(throws: KadMessageError.tooLong(what: "record value", count: 33, limit: 32)) { try KadMessage(decoding: bigValue.encoded(), limits: limits) }
        #expect(throws: KadMessageError.unknownType(6)) { try KadMessage(decoding: [0x08, 0x06]) }
        #expect(throws: KadMessageError.tooLong(what: "frame", count: 5000, limit: 4096)) {
            try KadMessage(decoding: Array(repeating: 0, count: 5000), limits: limits)
        }
    }

    @Test(arguments: [7, 8] as [UInt64]) func mutatedMessagesFailCleanly(seed: UInt64) {
        var random = SeededGenerator(seed: seed)
        var decoded = 0
        var rejected = 0
        for _ in 0..<2000 {
            var bytes = randomMessage(&random).encoded()
            guard !bytes.isEmpty else { continue }
            for _ in 0..<Int.random(in: 1...4, using: &random) {
                switch Int.random(in: 0..<3, using: &random) {
                case 0: bytes[Int.random(in: 0..<bytes.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
                case 1: bytes.removeLast(Int.random(in: 0..<bytes.count, using: &random))
                default: bytes.insert(UInt8.random(in: 0...255, using: &random), at: Int.random(in: 0...bytes.count, using: &random))
                }
                if bytes.isEmpty { break }
            }
            // Either a message or a typed error; never a trap.
            if (try? KadMessage(decoding: bytes)) != nil { decoded += 1 } else { rejected += 1 }
        }
        #expect(decoded > 0 && rejected > 0)
    }
}
