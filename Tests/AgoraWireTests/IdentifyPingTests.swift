import AgoraCore
import AgoraTestSupport
import Testing
@testable import AgoraWire

@Suite struct IdentifyMessageTests {
    static let identity = try! Identity(seed: [5] + Array(repeating: 0, count: 31))

    static func message() throws -> IdentifyMessage {
        IdentifyMessage(
            protocolVersion: "ipfs/0.1.0", agentVersion: "agora/test",
            publicKey: Libp2pPublicKey.encode(identity.privateKey.publicKey),
            listenAddrs: [try Multiaddr(parsing: "/ip4/127.0.0.1/tcp/4001").bytes],
            observedAddr: try Multiaddr(parsing: "/ip4/10.0.0.1/tcp/5555").bytes,
            protocols: [ProtocolIDs.identify, ProtocolIDs.ping]
        )
    }

    @Test func roundTripsAndSkipsUnknownFields() throws {
        let original = try Self.message()
        var writer = RawProtobufWriter()
        writer.writeBytes(field: 8, [1, 2, 3])
        let decoded = try IdentifyMessage(decoding: original.encoded() + writer.bytes)
        #expect(decoded == original)
        let info = try PeerInfo(message: decoded, from: PeerID(identity: Self.identity))
        #expect(info.listenAddrs == [try Multiaddr(parsing: "/ip4/127.0.0.1/tcp/4001")])
        #expect(info.observedAddr == (try Multiaddr(parsing: "/ip4/10.0.0.1/tcp/5555")))
        #expect(info.protocols == [ProtocolIDs.identify, ProtocolIDs.ping])
    }

    @Test func aKeyOfAnotherPeerIsRejected() throws {
        let other = PeerID(identity: try Identity(seed: [6] + Array(repeating: 0, count: 31)))
        #expect(throws: IdentifyError.publicKeyMismatch(expected: other, got: PeerID(identity: Self.identity))) {
            try PeerInfo(message: try Self.message(), from: other)
        }
        var keyless = try Self.message()
        keyless.publicKey = nil
        #expect(throws: IdentifyError.missingPublicKey) {
            try PeerInfo(message: keyless, from: PeerID(identity: Self.identity))
        }
    }

    @Test func truncatedAndRandomBytesFailCleanly() throws {
        let encoded = try Self.message().encoded()
        for cut in 1..<encoded.count {
            _ = try? IdentifyMessage(decoding: encoded.prefix(cut))
        }
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<500 {
            let garbage = (0..<Int.random(in: 0..<200, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            _ = try? IdentifyMessage(decoding: garbage)
        }
        #expect(throws: IdentifyError.self) {
            try IdentifyMessage(decoding: [0x0a, 0x05, 0x01])
        }
    }

    @Test func listsAreCapped() throws {
        var writer = RawProtobufWriter()
        for _ in 0...IdentifyMessage.maxListEntries { writer.writeString(field: 3, "/p") }
        #expect(throws: IdentifyError.tooManyEntries("protocols")) {
            try IdentifyMessage(decoding: writer.bytes)
        }
    }

    @Test func pushReplacesOnlyWhatItCarries() throws {
        var info = try PeerInfo(message: try Self.message(), from: PeerID(identity: Self.identity))
        info.merge(push: IdentifyMessage(protocols: ["/agora/sync/1.0.0"]))
        #expect(info.protocols == ["/agora/sync/1.0.0"])
        #expect(info.agentVersion == "agora/test")
    }
}

@Suite struct PingMachineTests {
    let start = ContinuousClock.now

    @Test func echoInPiecesGivesTheRoundTrip() throws {
        var machine = PingMachine()
        var counter: UInt8 = 0
        let payload = try machine.send(now: start) {
            counter &+= 1
            return counter
        }
        #expect(payload == Array(1...32))
        #expect(try machine.receive(payload.prefix(10), now: start) == .needMore)
        #expect(try machine.receive(payload.dropFirst(10), now: start + .milliseconds(3)) == .roundTrip(.milliseconds(3)))
        #expect(try machine.send(now: start).count == 32, "a new ping can follow")
    }

    @Test func wrongOrExtraBytesAreErrors() throws {
        var machine = PingMachine()
        #expect(throws: PingError.unexpectedBytes) { try machine.receive([1], now: start) }
        let payload = try machine.send(now: start)
        #expect(throws: PingError.pingInFlight) { try machine.send(now: start) }
        var wrong = payload
        wrong[31] ^= 0xff
        #expect(throws: PingError.mismatch) { try machine.receive(wrong, now: start) }
        _ = try machine.send(now: start)
        #expect(throws: PingError.unexpectedBytes) { try machine.receive([UInt8](repeating: 0, count: 33), now: start) }
    }
}
