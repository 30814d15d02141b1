import AgoraCore
import NIOCore
import AgoraTestSupport
import Testing
@testable import AgoraWire

/// Seeded mutations of valid wire messages (bit flips, boundary bytes, overlong varints,
/// truncation, duplicated and inserted chunks) fed to each decoder: none may trap, and
/// each must stay within its limits. The same idea, at millions of inputs, is
/// `tools/fuzz.sh`; these keep a few thousand per decoder in the test command.
@Suite struct WireDecoderMutationTests {
    static let boundaries: [[UInt8]] = [
        [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01], [0x80, 0x80, 0x80, 0x80, 0x00],
        [0xFF, 0xFF, 0xFF, 0xFF], [0x00], [0x0A], [0x7F],
    ]

    static func mutations(of seeds: [[UInt8]], count: Int, seed: UInt64) -> [[UInt8]] {
        var random = SeededGenerator(seed: seed)
        return (0..<count).map { _ in
            var input = seeds[random.next(below: seeds.count)]
            for _ in 0...random.next(below: 4) {
                let at = random.next(below: input.count + 1)
                switch random.next(below: 6) {
                case 0 where !input.isEmpty: input[min(at, input.count - 1)] ^= 1 << UInt8(random.next(below: 8))
                case 1: input.insert(contentsOf: boundaries[random.next(below: boundaries.count)], at: at)
                case 2: input.removeLast(input.count - at)
                case 3 where !input.isEmpty:
                    let start = random.next(below: input.count)
                    input.insert(contentsOf: input[start..<min(input.count, start + 1 + random.next(below: 32))], at: at)
                case 4: input.insert(UInt8(truncatingIfNeeded: random.next()), at: at)
                default: if !input.isEmpty { input.remove(at: min(at, input.count - 1)) }
                }
            }
            return input
        }
    }

    @Test(arguments: [1, 2]) func protobufAndIdentify(seed: UInt64) throws {
        let identify = IdentifyMessage(
            protocolVersion: "ipfs/0.1.0", agentVersion: "agora/0.1.0",
            publicKey: Libp2pPublicKey.encode(Identity.generate().privateKey.publicKey),
            listenAddrs: [try Multiaddr(parsing: "/ip4/127.0.0.1/tcp/4001").bytes], observedAddr: nil,
            protocols: [ProtocolIDs.ping, ProtocolIDs.identify]
        ).encoded()
        let key = Libp2pPublicKey.encode(Identity.generate().privateKey.publicKey)
        var decoded = 0
        for input in Self.mutations(of: [identify, key], count: 5_000, seed: seed) {
            if let message = try? IdentifyMessage(decoding: input) {
                decoded += 1
                #expect(message.listenAddrs.count + message.protocols.count <= input.count, "every entry takes at least one byte")
            }
            _ = try? Libp2pPublicKey.decode(input)
        }
        #expect(decoded > 0, "some mutations stay decodable, so the checks above ran")
    }

    @Test(arguments: [1, 2]) func multistreamNegotiation(seed: UInt64) {
        let valid = [
            MultistreamMachine.encode(ProtocolIDs.multistream) + MultistreamMachine.encode(ProtocolIDs.noise),
            MultistreamMachine.encode(ProtocolIDs.multistream) + MultistreamMachine.encode("ls") + MultistreamMachine.encode("/x"),
        ]
        var random = SeededGenerator(seed: seed)
        for input in Self.mutations(of: valid, count: 5_000, seed: seed) {
            var responder = MultistreamMachine.responder(supporting: [ProtocolIDs.noise])
            let chunk = 1 + random.next(below: 16)
            var rest = input[...]
            while !rest.isEmpty, let output = try? responder.receive(rest.prefix(chunk)), output.result == nil {
                rest = rest.dropFirst(chunk)
            }
        }
    }

    @Test(arguments: [1, 2]) func yamuxFrameSequences(seed: UInt64) {
        var buffer = ByteBuffer()
        for frame: YamuxFrame in [
            .windowUpdate(streamID: 1, flags: .syn, delta: 0), .data(streamID: 1, payload: ByteBuffer(bytes: [1, 2, 3])),
            .ping(flags: .syn, opaque: 9), .windowUpdate(streamID: 1, delta: 1 << 20),
            .data(streamID: 1, flags: .fin, payload: ByteBuffer()), .windowUpdate(streamID: 3, flags: .syn, delta: 0),
            .windowUpdate(streamID: 3, flags: .rst, delta: 0),
        ] {
            frame.encode(into: &buffer)
        }
        let configuration = YamuxConfiguration(maxInboundStreams: 4)
        var random = SeededGenerator(seed: seed)
        for input in Self.mutations(of: [Array(buffer.readableBytesView)], count: 5_000, seed: seed) {
            var machine = YamuxStateMachine(role: .responder, configuration: configuration)
            let chunk = 1 + random.next(below: 40)
            var rest = input[...]
            while !rest.isEmpty {
                _ = machine.receive(ByteBuffer(bytes: rest.prefix(chunk)), now: .now)
                rest = rest.dropFirst(chunk)
                #expect(machine.activeStreamCount <= configuration.maxInboundStreams)
            }
        }
    }
}
