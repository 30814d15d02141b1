import AgoraCore
import AgoraGossip
import AgoraTestSupport
import AgoraWire
import Testing

@Suite struct GossipRPCCodecTests {
    static func bytes(_ count: Int, _ generator: inout SplitMix64) -> [UInt8] {
        (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }

    static func topic(_ generator: inout SplitMix64) -> String {
        "t" + String(Int.random(in: 0..<1000, using: &generator))
    }

    static func rpc(_ generator: inout SplitMix64) -> GossipRPC {
        var rpc = GossipRPC()
        for _ in 0..<Int.random(in: 0...3, using: &generator) {
            rpc.subscriptions.append(GossipSubscription(subscribe: Bool.random(using: &generator), topic: topic(&generator)))
        }
        for _ in 0..<Int.random(in: 0...3, using: &generator) {
            rpc.messages.append(GossipMessage(
                from: bytes(38, &generator), data: bytes(Int.random(in: 0...300, using: &generator), &generator),
                seqno: bytes(8, &generator), topic: topic(&generator), signature: bytes(64, &generator),
                key: Bool.random(using: &generator) ? bytes(36, &generator) : []))
        }
        for _ in 0..<Int.random(in: 0...2, using: &generator) {
            rpc.control.ihave.append(GossipIHave(topic: topic(&generator), messageIDs: (0..<Int.random(in: 1...5, using: &generator)).map { _ in GossipMessageID(bytes(32, &generator)) }))
        }
        rpc.control.iwant = (0..<Int.random(in: 0...4, using: &generator)).map { _ in GossipMessageID(bytes(32, &generator)) }
        rpc.control.graft = (0..<Int.random(in: 0...2, using: &generator)).map { _ in topic(&generator) }
        rpc.control.prune = (0..<Int.random(in: 0...2, using: &generator)).map { _ in
            GossipPrune(topic: topic(&generator), backoff: Bool.random(using: &generator) ? UInt64.random(in: 0...100_000, using: &generator) : nil)
        }
        return rpc
    }

    @Test func generatedRPCsRoundTrip() throws {
        var generator = SplitMix64(seed: 0xC0DEC)
        for _ in 0..<500 {
            let rpc = Self.rpc(&generator)
            #expect(try GossipRPCCodec.decode(GossipRPCCodec.encode(rpc)) == rpc)
        }
    }

    @Test func mutatedAndTruncatedFramesFailCleanly() throws {
        var generator = SplitMix64(seed: 0xBAD)
        var failures = 0
        for _ in 0..<2000 {
            var bytes = GossipRPCCodec.encode(Self.rpc(&generator))
            guard !bytes.isEmpty else { continue }
            switch Int.random(in: 0..<3, using: &generator) {
            case 0: bytes.removeLast(Int.random(in: 1...bytes.count, using: &generator))
            case 1: bytes[Int.random(in: 0..<bytes.count, using: &generator)] ^= UInt8.random(in: 1...255, using: &generator)
            default: bytes.insert(UInt8.random(in: 0...255, using: &generator), at: Int.random(in: 0...bytes.count, using: &generator))
            }
            do { _ = try GossipRPCCodec.decode(bytes) } catch { failures += 1 }
        }
        #expect(failures > 0)
    }

    @Test func countLimitsAreEnforced() throws {
        let ids = (0..<6000).map { GossipMessageID([UInt8($0 & 0xff), UInt8($0 >> 8)]) }
        let flood = GossipRPC(control: GossipControl(ihave: [GossipIHave(topic: "t", messageIDs: ids)]))
        #expect(throws: GossipRPCError.tooMany("IHAVE message ids", limit: 5000)) { try GossipRPCCodec.decode(GossipRPCCodec.encode(flood)) }
        let subscriptions = GossipRPC(subscriptions: (0..<1025).map { GossipSubscription(subscribe: true, topic: "t\($0)") })
        #expect(throws: GossipRPCError.tooMany("subscriptions", limit: 1024)) { try GossipRPCCodec.decode(GossipRPCCodec.encode(subscriptions)) }
        let long = GossipRPC(subscriptions: [GossipSubscription(subscribe: true, topic: String(repeating: "x", count: 300))])
        #expect(throws: GossipRPCError.tooLong("topic", length: 300, limit: 256)) { try GossipRPCCodec.decode(GossipRPCCodec.encode(long)) }
        #expect(throws: GossipRPCError.tooLong("rpc", length: (1 << 20) + 1, limit: 1 << 20)) { try GossipRPCCodec.decode([UInt8](repeating: 0, count: (1 << 20) + 1)) }
    }

    @Test func unknownFieldsAreSkipped() throws {
        // An RPC with py-libp2p's extra field 4 and an IDONTWANT (control field 5).
        var writer = RawProtobufWriter()
        writer.writeMessage(field: 1) { $0.writeVarint(field: 1, 1); $0.writeString(field: 2, "t") }
        writer.writeBytes(field: 4, [1, 2, 3])
        writer.writeMessage(field: 3) { control in
            control.writeMessage(field: 5) { $0.writeBytes(field: 1, [9]) }
            control.writeMessage(field: 3) { $0.writeString(field: 1, "t") }
        }
        let rpc = try GossipRPCCodec.decode(writer.bytes)
        #expect(rpc.subscriptions == [GossipSubscription(subscribe: true, topic: "t")])
        #expect(rpc.control.graft == ["t"])
    }

    @Test func signaturesCoverEveryField() throws {
        let identity = try Identity(seed: [UInt8](repeating: 7, count: 32))
        let message = try GossipSigning.sign(GossipMessage(from: [], data: Array("event".utf8), seqno: [0, 0, 0, 0, 0, 0, 0, 1], topic: "t"), with: identity)
        #expect(GossipSigning.verify(message) == PeerID(identity: identity))
        var changed = [message, message, message, message]
        changed[0].data = Array("Event".utf8)
        changed[1].seqno = [0, 0, 0, 0, 0, 0, 0, 2]
        changed[2].topic = "u"
        changed[3].from = PeerID(identity: try Identity(seed: [UInt8](repeating: 8, count: 32))).bytes
        for forged in changed { #expect(GossipSigning.verify(forged) == nil) }
        var unsigned = message
        unsigned.signature = []
        #expect(GossipSigning.verify(unsigned) == nil)
    }
}
