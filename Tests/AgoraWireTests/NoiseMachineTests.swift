import AgoraTestSupport
import Crypto
import Testing
@testable import AgoraWire

@Suite struct NoiseMachineTests {
    struct Pair {
        var initiator: NoiseSession
        var responder: NoiseSession
    }

    /// Runs a whole handshake in memory, returning both sessions or the first error.
    static func handshake(
        initiator: inout NoiseHandshake, responder: inout NoiseHandshake
    ) throws -> Pair {
        let first = try initiator.start()
        #expect(try responder.start() == [])
        let second = try responder.receive(first)
        let third = try initiator.receive(second.send)
        let initiatorSession = try #require(third.session)
        let final = try responder.receive(third.send)
        let responderSession = try #require(final.session)
        return Pair(initiator: initiatorSession, responder: responderSession)
    }

    static func machines(
        initiatorSeed: UInt8 = 1, responderSeed: UInt8 = 2, expected: PeerID? = nil
    ) throws -> (NoiseHandshake, NoiseHandshake) {
        let initiator = NoiseHandshake(role: .initiator, configuration: .init(identity: try seedKey(initiatorSeed), expectedRemotePeer: expected))
        let responder = NoiseHandshake(role: .responder, configuration: .init(identity: try seedKey(responderSeed)))
        return (initiator, responder)
    }

    @Test func protocolNameInitialisesHashWithoutHashing() {
        let state = NoiseSymmetricState()
        #expect(state.chainingKey == Array("Noise_XX_25519_ChaChaPoly_SHA256".utf8))
        #expect(state.handshakeHash == state.chainingKey)
    }

    @Test func handshakeAuthenticatesBothSidesAndCarriesData() throws {
        let responderPeer = PeerID(publicKey: try seedKey(2).publicKey)
        var (initiator, responder) = try Self.machines(expected: responderPeer)
        var pair = try Self.handshake(initiator: &initiator, responder: &responder)
        #expect(pair.initiator.remotePeer == responderPeer)
        #expect(pair.responder.remotePeer == PeerID(publicKey: try seedKey(1).publicKey))

        let message = Array("hello over noise".utf8)
        let frame = try pair.initiator.seal(message)
        #expect(frame.count == 2 + message.count + 16)
        #expect(try pair.responder.open(frame) == message)
        let reply = try pair.responder.seal(Array("and back".utf8))
        #expect(try pair.initiator.open(reply) == Array("and back".utf8))
    }

    @Test func largeWritesAreSplitIntoMaximumFrames() throws {
        var (initiator, responder) = try Self.machines()
        var pair = try Self.handshake(initiator: &initiator, responder: &responder)
        let big = (0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let sealed = try pair.initiator.seal(big)
        #expect(Int(sealed[0]) << 8 | Int(sealed[1]) == NoiseSession.maxFrameLength)
        var received: [UInt8] = []
        var offset = 0
        while offset < sealed.count {
            let end = min(offset + 7919, sealed.count)
            received += try pair.responder.open(sealed[offset..<end])
            #expect(pair.responder.bufferedInboundBytes <= NoiseSession.maxFrameLength + 2)
            offset = end
        }
        #expect(received == big)
        #expect(try pair.initiator.seal([UInt8]()).count == 18)
    }

    @Test func rejectsWrongPeerID() throws {
        let other = PeerID(publicKey: try seedKey(3).publicKey)
        var (initiator, responder) = try Self.machines(expected: other)
        let first = try initiator.start()
        let second = try responder.receive(first)
        #expect(throws: NoiseError.peerIDMismatch(expected: other, actual: PeerID(publicKey: try seedKey(2).publicKey))) {
            _ = try initiator.receive(second.send)
        }
    }

    @Test func rejectsSignatureOverAnotherStaticKey() throws {
        var (initiator, responder) = try Self.machines()
        responder.localPayload = NoiseHandshake.makePayload(
            identity: try seedKey(2), staticKey: Curve25519.KeyAgreement.PrivateKey().publicKey
        )
        let second = try responder.receive(try initiator.start())
        #expect(throws: NoiseError.badSignature) { _ = try initiator.receive(second.send) }
    }

    @Test func responderRejectsInitiatorWithBadSignature() throws {
        var (initiator, responder) = try Self.machines()
        initiator.localPayload = NoiseHandshake.makePayload(
            identity: try seedKey(1), staticKey: Curve25519.KeyAgreement.PrivateKey().publicKey
        )
        let second = try responder.receive(try initiator.start())
        let third = try initiator.receive(second.send)
        #expect(throws: NoiseError.badSignature) { _ = try responder.receive(third.send) }
    }

    @Test func rejectsPayloadWithoutSignature() throws {
        var (initiator, responder) = try Self.machines()
        var writer = RawProtobufWriter()
        writer.writeBytes(field: 1, Libp2pPublicKey.encode(try seedKey(2).publicKey))
        writer.writeString(field: 7, "unknown fields are skipped")
        responder.localPayload = writer.bytes
        let second = try responder.receive(try initiator.start())
        #expect(throws: NoiseError.malformedPayload("missing identity_sig")) { _ = try initiator.receive(second.send) }
    }

    @Test func unknownPayloadFieldsAreSkipped() throws {
        var (initiator, responder) = try Self.machines()
        var writer = RawProtobufWriter()
        writer.writeMessage(field: 4) { $0.writeString(field: 2, "/yamux/1.0.0") }
        writer.writeVarint(field: 99, 5)
        responder.localPayload += writer.bytes
        let pair = try Self.handshake(initiator: &initiator, responder: &responder)
        #expect(pair.initiator.remotePeer == PeerID(publicKey: try seedKey(2).publicKey))
    }

    @Test func tamperedHandshakeMessageFails() throws {
        var (initiator, responder) = try Self.machines()
        var second = try responder.receive(try initiator.start()).send
        second[50] ^= 1
        #expect(throws: NoiseError.decryptionFailed) { _ = try initiator.receive(second) }
    }

    @Test func rejectsTamperedReplayedAndOversizedFrames() throws {
        var (initiator, responder) = try Self.machines()
        var pair = try Self.handshake(initiator: &initiator, responder: &responder)
        let frame = try pair.initiator.seal([1, 2, 3])

        var tampered = frame
        tampered[4] ^= 0x80
        var victim = pair.responder
        #expect(throws: NoiseError.decryptionFailed) { _ = try victim.open(tampered) }

        #expect(try pair.responder.open(frame) == [1, 2, 3])
        #expect(throws: NoiseError.decryptionFailed) { _ = try pair.responder.open(frame) }

        var limited = pair.initiator
        limited.maxInboundFrameLength = 1000
        #expect(throws: NoiseError.frameTooLarge(length: 1001, limit: 1000)) { _ = try limited.open([0x03, 0xe9]) }
        var short = pair.initiator
        #expect(throws: NoiseError.frameTooShort(length: 3)) { _ = try short.open([0x00, 0x03, 1, 2, 3]) }
    }

    @Test func oversizedHandshakeMessageRejected() throws {
        var responder = NoiseHandshake(role: .responder, configuration: .init(identity: try seedKey(2), maxMessageLength: 1024))
        #expect(throws: NoiseError.messageTooLong(length: 2048, limit: 1024)) { _ = try responder.receive([0x08, 0x00]) }
    }

    @Test func nonceExhaustionIsAnError() throws {
        var (initiator, responder) = try Self.machines()
        var pair = try Self.handshake(initiator: &initiator, responder: &responder)
        pair.initiator.sender.nonce = UInt64.max - 1
        let last = try pair.initiator.seal([7])
        #expect(throws: NoiseError.nonceExhausted) { _ = try pair.initiator.seal([8]) }
        pair.responder.receiver.nonce = UInt64.max - 1
        #expect(try pair.responder.open(last) == [7])
        #expect(throws: NoiseError.nonceExhausted) { _ = try pair.responder.open(last) }
    }

    @Test func truncatedAndRandomHandshakeInputFailsCleanly() throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<300 {
            var responder = NoiseHandshake(role: .responder, configuration: .init(identity: try seedKey(2)))
            let length = Int.random(in: 0...120, using: &generator)
            let bytes = [UInt8(length >> 8), UInt8(length & 0xff)] + (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            _ = try? responder.receive(bytes)
        }
        var (initiator, responder) = try Self.machines()
        let second = try responder.receive(try initiator.start()).send
        for cut in [2, 40, 80, second.count - 1] {
            var fresh = try Self.machines()
            let truncatedSecond = try fresh.1.receive(try fresh.0.start()).send
            let frameLength = cut - 2
            let mangled = [UInt8(frameLength >> 8), UInt8(frameLength & 0xff)] + truncatedSecond[2..<cut]
            #expect(throws: NoiseError.self) { _ = try fresh.0.receive(mangled) }
        }
        #expect(second.count > 96)
    }
}
