import NIOCore
import Testing
@testable import AgoraWire

private typealias Action = YamuxStateMachine.Action

private func frames(_ actions: [Action]) -> [YamuxFrame] {
    actions.compactMap { if case .send(let frame) = $0 { frame } else { nil } }
}

private func events(_ actions: [Action]) -> [Action] {
    actions.filter { if case .send = $0 { false } else { true } }
}

private func wire(_ actions: [Action]) -> ByteBuffer {
    var buffer = ByteBuffer()
    for frame in frames(actions) { frame.encode(into: &buffer) }
    return buffer
}

private func bytes(_ count: Int, seed: UInt8 = 0) -> ByteBuffer {
    ByteBuffer(bytes: (0..<count).map { UInt8(truncatingIfNeeded: $0) &+ seed })
}

private func dataBytes(_ actions: [Action]) -> Int {
    actions.reduce(0) { total, action in
        if case .data(_, let buffer) = action { total + buffer.readableBytes } else { total }
    }
}

private let t0 = ContinuousClock.now

/// A dialer and a listener machine wired back to back.
private struct Pair {
    var dialer = YamuxStateMachine(role: .initiator)
    var listener = YamuxStateMachine(role: .responder)

    init(dialer: YamuxConfiguration = YamuxConfiguration(), listener: YamuxConfiguration = YamuxConfiguration()) {
        self.dialer = YamuxStateMachine(role: .initiator, configuration: dialer)
        self.listener = YamuxStateMachine(role: .responder, configuration: listener)
    }

    mutating func toListener(_ actions: [Action]) -> [Action] { listener.receive(wire(actions), now: t0) }
    mutating func toDialer(_ actions: [Action]) -> [Action] { dialer.receive(wire(actions), now: t0) }
}

@Suite struct YamuxStateMachineTests {
    @Test func dialerOpensOddListenerAcceptsWithAck() throws {
        var pair = Pair()
        let (id, open) = try pair.dialer.openStream()
        #expect(id == 1)
        #expect(frames(open) == [.windowUpdate(streamID: 1, flags: .syn, delta: 0)])
        let accepted = pair.toListener(open)
        #expect(frames(accepted) == [.windowUpdate(streamID: 1, flags: .ack, delta: 0)])
        #expect(events(accepted) == [.inboundStream(1)])
        #expect(events(pair.toDialer(accepted)).isEmpty)

        let (second, _) = try pair.dialer.openStream()
        #expect(second == 3)
    }

    @Test func listenerOpensEvenStreams() throws {
        var pair = Pair()
        let (id, open) = try pair.listener.openStream()
        #expect(id == 2)
        #expect(events(pair.toDialer(open)) == [.inboundStream(2)])
    }

    @Test func largerReceiveWindowIsAnnouncedWithTheSyn() throws {
        var pair = Pair(dialer: YamuxConfiguration(receiveWindow: 1024 * 1024))
        let (_, open) = try pair.dialer.openStream()
        #expect(frames(open) == [.windowUpdate(streamID: 1, flags: .syn, delta: 768 * 1024)])
        _ = pair.toListener(open)
        let write = try pair.listener.write(bytes(1024 * 1024), on: 1)
        #expect(events(write) == [.writeCompleted(1)])
        #expect(dataBytes(pair.toDialer(write)) == 1024 * 1024)
    }

    @Test func dataWaitsForWindowAndFlowsAfterTheReaderConsumes() throws {
        var pair = Pair()
        let (id, open) = try pair.dialer.openStream()
        _ = pair.toListener(open)

        let total = 300 * 1024
        let first = try pair.dialer.write(bytes(total), on: id)
        #expect(frames(first).allSatisfy { $0.length <= 64 * 1024 })
        #expect(frames(first).reduce(0) { $0 + Int($1.length) } == 256 * 1024)
        #expect(!events(first).contains(.writeCompleted(id)))
        #expect(throws: YamuxError.writeInProgress) { try pair.dialer.write(bytes(1), on: id) }

        let received = pair.toListener(first)
        #expect(dataBytes(received) == 256 * 1024)
        // Arrival alone returns no credit: the application has not read anything yet.
        #expect(frames(received).isEmpty)

        #expect(pair.listener.consumed(100 * 1024, on: id).isEmpty)
        let update = pair.listener.consumed(28 * 1024, on: id)
        #expect(frames(update) == [.windowUpdate(streamID: id, delta: 128 * 1024)])

        let rest = pair.toDialer(update)
        #expect(frames(rest).reduce(0) { $0 + Int($1.length) } == 44 * 1024)
        #expect(events(rest) == [.writeCompleted(id)])
        #expect(dataBytes(pair.toListener(rest)) == 44 * 1024)
    }

    @Test func dataBeyondTheWindowIsAProtocolError() throws {
        var pair = Pair()
        let (id, open) = try pair.dialer.openStream()
        _ = pair.toListener(open)
        let full = pair.toListener(try pair.dialer.write(bytes(256 * 1024), on: id))
        #expect(dataBytes(full) == 256 * 1024)

        // A peer ignoring our window sends one more byte.
        let cheat = YamuxFrame.data(streamID: id, payload: bytes(1))
        let result = pair.toListener([.send(cheat)])
        #expect(frames(result) == [.goAway(.protocolError)])
        #expect(events(result) == [.closeConnection(.frameTooLarge(length: 1, limit: 0))])
        #expect(pair.listener.isClosed)
        #expect(pair.toListener([.send(.ping(flags: .syn, opaque: 1))]).isEmpty)
    }

    @Test func halfCloseInBothDirections() throws {
        var pair = Pair()
        let (id, open) = try pair.dialer.openStream()
        _ = pair.toListener(open)

        var dialerSends = try pair.dialer.write(bytes(10), on: id)
        dialerSends += try pair.dialer.closeWrite(id)
        #expect(throws: YamuxError.writeSideClosed) { try pair.dialer.write(bytes(1), on: id) }
        let atListener = pair.toListener(dialerSends)
        #expect(events(atListener) == [.data(streamID: id, bytes(10)), .remoteFinished(id)])

        // The listener can still answer on its half.
        var reply = try pair.listener.write(bytes(5, seed: 7), on: id)
        reply += try pair.listener.closeWrite(id)
        #expect(pair.listener.activeStreamCount == 0)
        let atDialer = pair.toDialer(reply)
        #expect(events(atDialer) == [.data(streamID: id, bytes(5, seed: 7)), .remoteFinished(id)])
        #expect(pair.dialer.activeStreamCount == 0)
    }

    @Test func finIsSentOnlyAfterQueuedData() throws {
        var pair = Pair()
        let (id, open) = try pair.dialer.openStream()
        _ = pair.toListener(open)
        let write = try pair.dialer.write(bytes(300 * 1024), on: id)
        let close = try pair.dialer.closeWrite(id)
        #expect(close.isEmpty)
        _ = pair.toListener(write)
        let update = pair.listener.consumed(256 * 1024, on: id)
        let rest = pair.toDialer(update)
        #expect(frames(rest).last == .windowUpdate(streamID: id, flags: .fin, delta: 0))
        #expect(events(pair.toListener(rest)).last == .remoteFinished(id))
    }

    @Test func resetEndsTheStreamOnBothSides() throws {
        var pair = Pair()
        let (id, open) = try pair.dialer.openStream()
        _ = pair.toListener(open)
        let reset = pair.dialer.reset(id)
        #expect(frames(reset) == [.windowUpdate(streamID: id, flags: .rst, delta: 0)])
        #expect(pair.dialer.activeStreamCount == 0)
        #expect(events(pair.toListener(reset)) == [.streamReset(id)])
        #expect(pair.listener.activeStreamCount == 0)
        // Late data for the reset stream is discarded, not an error.
        let late = pair.toListener([.send(.data(streamID: id, payload: bytes(100)))])
        #expect(late.isEmpty)
        #expect(!pair.listener.isClosed)
    }

    @Test func pingIsAnsweredAndTimed() throws {
        var pair = Pair()
        let (opaque, ping) = try pair.dialer.ping(now: t0)
        #expect(frames(ping) == [.ping(flags: .syn, opaque: opaque)])
        let answer = pair.listener.receive(wire(ping), now: t0)
        #expect(frames(answer) == [.ping(flags: .ack, opaque: opaque)])
        let result = pair.dialer.receive(wire(answer), now: t0 + .milliseconds(25))
        #expect(result == [.pong(opaque: opaque, rtt: .milliseconds(25))])
        // An unsolicited or repeated answer is ignored.
        #expect(pair.dialer.receive(wire(answer), now: t0).isEmpty)
    }

    @Test func outstandingPingsAreBounded() throws {
        var machine = YamuxStateMachine(role: .initiator, configuration: YamuxConfiguration(maxOutstandingPings: 2))
        _ = try machine.ping(now: t0)
        let (second, _) = try machine.ping(now: t0)
        #expect(throws: YamuxError.tooManyPings) { try machine.ping(now: t0) }
        machine.cancelPing(second)
        _ = try machine.ping(now: t0)
    }

    @Test func normalGoAwayStopsNewStreamsButKeepsExistingOnes() throws {
        var pair = Pair()
        let (id, open) = try pair.dialer.openStream()
        _ = pair.toListener(open)
        let goAway = pair.listener.goAway()
        #expect(frames(goAway) == [.goAway(.normal)])
        #expect(events(pair.toDialer(goAway)) == [.goAwayReceived(.normal)])
        #expect(throws: YamuxError.remoteGoingAway) { try pair.dialer.openStream() }
        // The existing stream still carries data.
        #expect(dataBytes(pair.toListener(try pair.dialer.write(bytes(8), on: id))) == 8)
        // A SYN that crossed the go-away is refused with RST.
        let late = pair.toListener([.send(.windowUpdate(streamID: 3, flags: .syn, delta: 0))])
        #expect(frames(late) == [.windowUpdate(streamID: 3, flags: .rst, delta: 0)])
        #expect(events(late).isEmpty)
    }

    @Test func errorGoAwayEndsTheSession() throws {
        var machine = YamuxStateMachine(role: .initiator)
        let result = machine.receive(wire([.send(.goAway(.internalError))]), now: t0)
        #expect(result == [.goAwayReceived(.internalError), .closeConnection(.remoteTerminated(.internalError))])
        #expect(throws: YamuxError.remoteTerminated(.internalError)) { try machine.openStream() }
    }

    @Test func closeSendsGoAwayAndEndsTheSession() throws {
        var machine = YamuxStateMachine(role: .initiator)
        #expect(machine.close() == [.send(.goAway(.normal)), .closeConnection(.sessionClosed)])
        #expect(throws: YamuxError.sessionClosed) { try machine.openStream() }
    }

    @Test func inboundStreamsBeyondTheLimitAreReset() throws {
        var pair = Pair(listener: YamuxConfiguration(maxInboundStreams: 2))
        var opens: [Action] = []
        for _ in 0..<3 { opens += try pair.dialer.openStream().actions }
        let result = pair.toListener(opens)
        #expect(events(result) == [.inboundStream(1), .inboundStream(3)])
        #expect(frames(result).last == .windowUpdate(streamID: 5, flags: .rst, delta: 0))
        #expect(events(pair.toDialer(result)) == [.streamReset(5)])
        // Closing one frees a slot.
        _ = pair.listener.reset(1)
        let again = pair.toListener(try pair.dialer.openStream().actions)
        #expect(events(again) == [.inboundStream(7)])
    }

    @Test func outboundStreamsAreLimited() throws {
        var machine = YamuxStateMachine(role: .initiator, configuration: YamuxConfiguration(maxOutboundStreams: 1))
        _ = try machine.openStream()
        #expect(throws: YamuxError.tooManyStreams) { try machine.openStream() }
    }

    @Test func streamIDMisuseIsAProtocolError() {
        for (frame, error) in [
            (YamuxFrame.windowUpdate(streamID: 1, flags: .syn, delta: 0), YamuxError.protocolViolation(.wrongStreamIDParity(1))),
            (YamuxFrame.data(streamID: 0, payload: bytes(1)), YamuxError.protocolViolation(.streamIDZero)),
        ] {
            var dialer = YamuxStateMachine(role: .initiator)
            let result = dialer.receive(wire([.send(frame)]), now: t0)
            #expect(events(result) == [.closeConnection(error)])
        }
        var listener = YamuxStateMachine(role: .responder)
        let syn = YamuxFrame.windowUpdate(streamID: 1, flags: .syn, delta: 0)
        let result = listener.receive(wire([.send(syn), .send(syn)]), now: t0)
        #expect(events(result) == [.inboundStream(1), .closeConnection(.protocolViolation(.streamIDReused(1)))])
    }

    @Test func windowOverflowIsAProtocolError() throws {
        var pair = Pair()
        let (id, open) = try pair.dialer.openStream()
        _ = pair.toListener(open)
        let result = pair.toDialer([.send(.windowUpdate(streamID: id, delta: UInt32.max))])
        #expect(events(result) == [.closeConnection(.protocolViolation(.windowOverflow(streamID: id)))])
    }

    @Test func garbageAndTruncatedInput() {
        var machine = YamuxStateMachine(role: .responder)
        #expect(machine.receive(ByteBuffer(bytes: [0, 9, 0]), now: t0).isEmpty)
        #expect(!machine.isClosed)
        let result = machine.receive(ByteBuffer(bytes: [0, 0, 0, 0, 0, 0, 0, 0, 0]), now: t0)
        #expect(frames(result) == [.goAway(.protocolError)])
        #expect(events(result) == [.closeConnection(.unknownFrameType(9))])

        var other = YamuxStateMachine(role: .responder)
        let garbage = other.receive(ByteBuffer(bytes: Array("GET / HTTP/1.1\r\n".utf8)), now: t0)
        #expect(events(garbage) == [.closeConnection(.unsupportedVersion(UInt8(ascii: "G")))])
    }

    @Test func dataAfterRemoteFinResetsOnlyThatStream() throws {
        var pair = Pair()
        let (id, open) = try pair.dialer.openStream()
        _ = pair.toListener(open)
        _ = pair.toListener(try pair.dialer.closeWrite(id))
        let result = pair.toListener([.send(.data(streamID: id, payload: bytes(4)))])
        #expect(frames(result) == [.windowUpdate(streamID: id, flags: .rst, delta: 0)])
        #expect(events(result) == [.streamReset(id)])
        #expect(!pair.listener.isClosed)
    }
}
