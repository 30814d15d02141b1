import Testing
@testable import AgoraWire

@Suite struct MultistreamMachineTests {
    /// Shuttles bytes between two machines until both finish, one byte at a time when asked.
    private func run(
        _ initiator: inout MultistreamMachine, _ responder: inout MultistreamMachine, byteByByte: Bool = false
    ) throws -> (MultistreamMachine.Result?, MultistreamMachine.Result?) {
        var toResponder = initiator.start()
        var toInitiator = responder.start()
        var initiatorResult: MultistreamMachine.Result?
        var responderResult: MultistreamMachine.Result?
        for _ in 0..<1000 where !(toResponder.isEmpty && toInitiator.isEmpty) {
            if !toResponder.isEmpty && !responder.isFinished {
                let chunk = byteByByte ? [toResponder.removeFirst()] : toResponder
                if !byteByByte { toResponder = [] }
                let output = try responder.receive(chunk)
                toInitiator += output.send
                responderResult = output.result ?? responderResult
            } else {
                toResponder = []
            }
            if !toInitiator.isEmpty && !initiator.isFinished {
                let chunk = byteByByte ? [toInitiator.removeFirst()] : toInitiator
                if !byteByByte { toInitiator = [] }
                let output = try initiator.receive(chunk)
                toResponder += output.send
                initiatorResult = output.result ?? initiatorResult
            } else {
                toInitiator = []
            }
        }
        return (initiatorResult, responderResult)
    }

    @Test func wireFormatOfFirstMessages() {
        let initiator = MultistreamMachine.initiator(proposing: ["/noise"])
        #expect(initiator.start() == [19] + Array("/multistream/1.0.0\n".utf8) + [7] + Array("/noise\n".utf8))
        #expect(MultistreamMachine.responder(supporting: ["/noise"]).start() == [19] + Array("/multistream/1.0.0\n".utf8))
    }

    @Test(arguments: [false, true]) func agreesOnFirstSupportedProtocol(byteByByte: Bool) throws {
        var initiator = MultistreamMachine.initiator(proposing: ["/tls/1.0.0", "/noise"])
        var responder = MultistreamMachine.responder(supporting: ["/noise", "/plaintext/2.0.0"])
        let (a, b) = try run(&initiator, &responder, byteByByte: byteByByte)
        #expect(a == .selected("/noise"))
        #expect(b == .selected("/noise"))
    }

    @Test func responderAnswersNaThenInitiatorGivesUp() throws {
        var responder = MultistreamMachine.responder(supporting: ["/noise"])
        let header = MultistreamMachine.encode(ProtocolIDs.multistream)
        let output = try responder.receive(header + MultistreamMachine.encode("/tls/1.0.0"))
        #expect(output.send == MultistreamMachine.encode("na"))
        #expect(output.result == nil)

        var initiator = MultistreamMachine.initiator(proposing: ["/tls/1.0.0"])
        _ = initiator.start()
        #expect(throws: MultistreamError.noProtocolAgreed(["/tls/1.0.0"])) {
            _ = try initiator.receive(header + MultistreamMachine.encode("na"))
        }
    }

    @Test func lsListsSupportedProtocols() throws {
        var lister = MultistreamMachine.lister()
        var responder = MultistreamMachine.responder(supporting: ["/noise", "/yamux/1.0.0"])
        let (a, b) = try run(&lister, &responder)
        #expect(a == .listed(["/noise", "/yamux/1.0.0"]))
        #expect(b == nil)
        #expect(!responder.isFinished)
    }

    @Test func lsReplyWithoutClosingNewlineIsAccepted() throws {
        var lister = MultistreamMachine.lister()
        let entries = MultistreamMachine.encode("/a") + MultistreamMachine.encode("/b")
        let reply = [UInt8(entries.count)] + entries
        let output = try lister.receive(MultistreamMachine.encode(ProtocolIDs.multistream) + reply)
        #expect(output.result == .listed(["/a", "/b"]))
    }

    @Test func lsThenProposalOnSameResponder() throws {
        var responder = MultistreamMachine.responder(supporting: ["/noise"])
        let first = try responder.receive(MultistreamMachine.encode(ProtocolIDs.multistream) + MultistreamMachine.encode("ls"))
        #expect(first.send == MultistreamMachine.encodeList(["/noise"]))
        let second = try responder.receive(MultistreamMachine.encode("/noise") + [1, 2, 3])
        #expect(second.result == .selected("/noise"))
        #expect(second.remaining == [1, 2, 3])
        #expect(throws: MultistreamError.alreadyFinished) { _ = try responder.receive([0]) }
    }

    @Test func initiatorKeepsBytesAfterAgreement() throws {
        var initiator = MultistreamMachine.initiator(proposing: ["/noise"])
        _ = initiator.start()
        let output = try initiator.receive(
            MultistreamMachine.encode(ProtocolIDs.multistream) + MultistreamMachine.encode("/noise") + [9, 8]
        )
        #expect(output.result == .selected("/noise"))
        #expect(output.remaining == [9, 8])
    }

    @Test func boundsAttemptsAndMessageLength() throws {
        var responder = MultistreamMachine.responder(supporting: ["/noise"], limits: .init(maxMessageLength: 100, maxAttempts: 3))
        _ = try responder.receive(MultistreamMachine.encode(ProtocolIDs.multistream))
        for _ in 0..<3 { _ = try responder.receive(MultistreamMachine.encode("/nope")) }
        #expect(throws: MultistreamError.tooManyAttempts(limit: 3)) { _ = try responder.receive(MultistreamMachine.encode("/nope")) }

        var small = MultistreamMachine.responder(supporting: ["/noise"], limits: .init(maxMessageLength: 100, maxAttempts: 3))
        #expect(throws: MultistreamError.messageTooLong(length: 200, limit: 100)) { _ = try small.receive([0xc8, 0x01]) }
    }

    @Test func rejectsMalformedMessages() throws {
        var wrongVersion = MultistreamMachine.responder(supporting: ["/noise"])
        #expect(throws: MultistreamError.unsupportedVersion("/multistream/2.0.0")) {
            _ = try wrongVersion.receive(MultistreamMachine.encode("/multistream/2.0.0"))
        }
        var noNewline = MultistreamMachine.responder(supporting: ["/noise"])
        #expect(throws: MultistreamError.malformedMessage("missing trailing newline")) { _ = try noNewline.receive([2, 0x41, 0x42]) }
        var badUTF8 = MultistreamMachine.responder(supporting: ["/noise"])
        #expect(throws: MultistreamError.malformedMessage("not UTF-8")) { _ = try badUTF8.receive([3, 0xc3, 0x28, 0x0a]) }
        var initiator = MultistreamMachine.initiator(proposing: ["/noise"])
        #expect(throws: MultistreamError.unexpectedMessage("/other")) {
            _ = try initiator.receive(MultistreamMachine.encode(ProtocolIDs.multistream) + MultistreamMachine.encode("/other"))
        }
    }
}
