import NIOCore

/// The yamux session as a pure state machine: bytes from the peer, application calls and the
/// current time go in; frames to write and events for streams come out. It does no I/O, so
/// every rule (windows, limits, half-close, go-away) is testable by feeding it frames.
///
/// Flow control is per stream. Received data counts against the receive window when it
/// arrives, but credit is returned to the peer only when the application reports it has
/// consumed the bytes (`consumed`), so a slow reader stops the sender instead of growing
/// our buffers. Data beyond the window is a protocol error that ends the session.
public struct YamuxStateMachine: Sendable {
    /// The dialer of the connection opens odd stream IDs, the listener even ones.
    public enum Role: Sendable {
        case initiator
        case responder
    }

    public enum Action: Equatable, Sendable {
        case send(YamuxFrame)
        /// The peer opened a stream and we accepted it (the ACK is already in the actions).
        case inboundStream(UInt32)
        case data(streamID: UInt32, ByteBuffer)
        /// The peer half-closed: after the data already delivered, reads end.
        case remoteFinished(UInt32)
        /// The peer reset the stream, or we reset it for misbehaviour; pending work fails.
        case streamReset(UInt32)
        /// All bytes of the last `write` on this stream have been handed out as frames.
        case writeCompleted(UInt32)
        case pong(opaque: UInt32, rtt: Duration)
        case goAwayReceived(YamuxGoAwayCode)
        /// Write the frames before this action, then close the connection.
        case closeConnection(YamuxError)
    }

    private struct Stream: Sendable {
        let inbound: Bool
        var sendWindow: UInt32 = YamuxConfiguration.initialWindow
        /// Bytes the peer may still send before we return credit.
        var receiveWindow: UInt32 = YamuxConfiguration.initialWindow
        /// Consumed by the application but not yet returned to the peer as credit.
        var consumedUncredited: UInt32 = 0
        /// The part of the current write not yet sent for lack of window.
        var pendingWrite: ByteBuffer?
        var finAfterPendingWrite = false
        var localFinished = false
        var remoteFinished = false
    }

    public let role: Role
    public let configuration: YamuxConfiguration
    private var decoder = YamuxFrameDecoder()
    private var streams: [UInt32: Stream] = [:]
    private var inboundCount = 0
    private var outboundCount = 0
    private var nextStreamID: UInt32
    private var lastRemoteStreamID: UInt32 = 0
    private var pings: [UInt32: ContinuousClock.Instant] = [:]
    private var nextPingOpaque: UInt32 = 1
    private var localGoAwaySent = false
    private var remoteGoAwayReceived = false
    private var closedReason: YamuxError?

    public init(role: Role, configuration: YamuxConfiguration = YamuxConfiguration()) {
        self.role = role
        self.configuration = configuration
        self.nextStreamID = role == .initiator ? 1 : 2
    }

    public var activeStreamCount: Int { streams.count }
    public var isClosed: Bool { closedReason != nil }

    // MARK: Peer input

    public mutating func receive(_ bytes: ByteBuffer, now: ContinuousClock.Instant) -> [Action] {
        guard closedReason == nil else { return [] }
        decoder.append(bytes)
        var actions: [Action] = []
        do {
            while closedReason == nil, let header = try decoder.nextHeader() {
                guard let frame = try decoder.takeFrame(maxDataLength: dataLimit(for: header)) else { break }
                try handle(frame, now: now, into: &actions)
            }
        } catch {
            fail(error, into: &actions)
        }
        return actions
    }

    /// The connection is gone; nothing more can be sent or received.
    public mutating func connectionClosed() {
        if closedReason == nil { closedReason = .connectionClosed }
        streams.removeAll()
        pings.removeAll()
    }

    // MARK: Application input

    public mutating func openStream() throws(YamuxError) -> (streamID: UInt32, actions: [Action]) {
        if let closedReason { throw closedReason }
        guard !remoteGoAwayReceived else { throw .remoteGoingAway }
        guard outboundCount < configuration.maxOutboundStreams else { throw .tooManyStreams }
        guard nextStreamID <= UInt32.max - 2 else { throw .streamIDsExhausted }
        let id = nextStreamID
        nextStreamID += 2
        var stream = Stream(inbound: false)
        let extra = configuration.receiveWindow - YamuxConfiguration.initialWindow
        stream.receiveWindow += extra
        streams[id] = stream
        outboundCount += 1
        return (id, [.send(.windowUpdate(streamID: id, flags: .syn, delta: extra))])
    }

    /// Sends as much of `data` as the window allows and keeps the rest until window updates
    /// arrive; `.writeCompleted` says when all of it is out. One write at a time per stream,
    /// so the caller's suspended write is the only buffer.
    public mutating func write(_ data: ByteBuffer, on id: UInt32) throws(YamuxError) -> [Action] {
        if let closedReason { throw closedReason }
        guard var stream = streams[id] else { throw .unknownStream(id) }
        guard !stream.localFinished else { throw .writeSideClosed }
        guard stream.pendingWrite == nil else { throw .writeInProgress }
        stream.pendingWrite = data
        var actions: [Action] = []
        flush(id, &stream, into: &actions)
        store(id, stream)
        return actions
    }

    /// Half-closes our side; queued data still goes out first.
    public mutating func closeWrite(_ id: UInt32) throws(YamuxError) -> [Action] {
        if let closedReason { throw closedReason }
        guard var stream = streams[id] else { throw .unknownStream(id) }
        guard !stream.localFinished else { return [] }
        stream.localFinished = true
        var actions: [Action] = []
        if stream.pendingWrite == nil {
            actions.append(.send(.windowUpdate(streamID: id, flags: .fin, delta: 0)))
        } else {
            stream.finAfterPendingWrite = true
        }
        store(id, stream)
        return actions
    }

    public mutating func reset(_ id: UInt32) -> [Action] {
        guard closedReason == nil, streams[id] != nil else { return [] }
        remove(id)
        return [.send(.windowUpdate(streamID: id, flags: .rst, delta: 0))]
    }

    /// The application has read `byteCount` bytes of this stream; once half the window has
    /// been read we return the credit in one window update.
    public mutating func consumed(_ byteCount: Int, on id: UInt32) -> [Action] {
        guard closedReason == nil, var stream = streams[id], !stream.remoteFinished, byteCount > 0 else { return [] }
        let window = configuration.receiveWindow
        stream.consumedUncredited = min(window, stream.consumedUncredited + UInt32(clamping: byteCount))
        var actions: [Action] = []
        if stream.consumedUncredited >= window / 2 {
            let delta = min(stream.consumedUncredited, window - stream.receiveWindow)
            stream.receiveWindow += delta
            stream.consumedUncredited = 0
            actions.append(.send(.windowUpdate(streamID: id, delta: delta)))
        }
        store(id, stream)
        return actions
    }

    public mutating func ping(now: ContinuousClock.Instant) throws(YamuxError) -> (opaque: UInt32, actions: [Action]) {
        if let closedReason { throw closedReason }
        guard pings.count < configuration.maxOutstandingPings else { throw .tooManyPings }
        var opaque = nextPingOpaque
        while pings[opaque] != nil { opaque &+= 1 }
        nextPingOpaque = opaque &+ 1
        pings[opaque] = now
        return (opaque, [.send(.ping(flags: .syn, opaque: opaque))])
    }

    /// Forgets a ping whose answer the caller stopped waiting for.
    public mutating func cancelPing(_ opaque: UInt32) {
        pings[opaque] = nil
    }

    /// Tells the peer we accept no new streams; existing streams carry on.
    public mutating func goAway() -> [Action] {
        guard closedReason == nil, !localGoAwaySent else { return [] }
        localGoAwaySent = true
        return [.send(.goAway(.normal))]
    }

    /// Ends the session: a go-away (unless one was sent) and the instruction to close.
    public mutating func close() -> [Action] {
        guard closedReason == nil else { return [] }
        var actions = goAway()
        closedReason = .sessionClosed
        streams.removeAll()
        pings.removeAll()
        actions.append(.closeConnection(.sessionClosed))
        return actions
    }

    // MARK: Frame handling

    private func dataLimit(for header: YamuxFrameHeader) -> UInt32 {
        guard header.type == .data else { return 0 }
        if let stream = streams[header.streamID] { return stream.receiveWindow }
        if header.flags.contains(.syn) { return YamuxConfiguration.initialWindow }
        // Frames still in flight for a stream we reset or closed: at most one window.
        return configuration.receiveWindow
    }

    private mutating func handle(_ frame: YamuxFrame, now: ContinuousClock.Instant, into actions: inout [Action]) throws(YamuxError) {
        switch frame.type {
        case .ping:
            if frame.flags.contains(.syn) {
                actions.append(.send(.ping(flags: .ack, opaque: frame.length)))
            } else if frame.flags.contains(.ack), let sent = pings.removeValue(forKey: frame.length) {
                actions.append(.pong(opaque: frame.length, rtt: now - sent))
            }
        case .goAway:
            let code = YamuxGoAwayCode(rawValue: frame.length) ?? .internalError
            remoteGoAwayReceived = true
            actions.append(.goAwayReceived(code))
            if code != .normal {
                closedReason = .remoteTerminated(code)
                streams.removeAll()
                pings.removeAll()
                actions.append(.closeConnection(.remoteTerminated(code)))
            }
        case .data, .windowUpdate:
            try handleStreamFrame(frame, into: &actions)
        }
    }

    private mutating func handleStreamFrame(_ frame: YamuxFrame, into actions: inout [Action]) throws(YamuxError) {
        let id = frame.streamID
        guard id != 0 else { throw .protocolViolation(.streamIDZero) }
        if frame.flags.contains(.syn) {
            guard acceptInbound(id, into: &actions) else { return }
        }
        guard var stream = streams[id] else { return }

        if frame.type == .windowUpdate {
            let (window, overflow) = stream.sendWindow.addingReportingOverflow(frame.length)
            guard !overflow else { throw .protocolViolation(.windowOverflow(streamID: id)) }
            stream.sendWindow = window
            flush(id, &stream, into: &actions)
        } else if frame.length > 0 {
            if stream.remoteFinished {
                // Data after the peer's own FIN breaks only this stream.
                remove(id)
                actions.append(.send(.windowUpdate(streamID: id, flags: .rst, delta: 0)))
                actions.append(.streamReset(id))
                return
            }
            stream.receiveWindow -= frame.length
            actions.append(.data(streamID: id, frame.payload))
        }

        if frame.flags.contains(.rst) {
            remove(id)
            actions.append(.streamReset(id))
            return
        }
        if frame.flags.contains(.fin), !stream.remoteFinished {
            stream.remoteFinished = true
            actions.append(.remoteFinished(id))
        }
        store(id, stream)
    }

    /// Admits a stream the peer opened, or refuses it with RST; false when refused.
    private mutating func acceptInbound(_ id: UInt32, into actions: inout [Action]) -> Bool {
        let remoteParity: UInt32 = role == .initiator ? 0 : 1
        guard id % 2 == remoteParity else {
            fail(.protocolViolation(.wrongStreamIDParity(id)), into: &actions)
            return false
        }
        guard id > lastRemoteStreamID, streams[id] == nil else {
            fail(.protocolViolation(.streamIDReused(id)), into: &actions)
            return false
        }
        lastRemoteStreamID = id
        guard !localGoAwaySent, inboundCount < configuration.maxInboundStreams else {
            actions.append(.send(.windowUpdate(streamID: id, flags: .rst, delta: 0)))
            return false
        }
        var stream = Stream(inbound: true)
        let extra = configuration.receiveWindow - YamuxConfiguration.initialWindow
        stream.receiveWindow += extra
        streams[id] = stream
        inboundCount += 1
        actions.append(.send(.windowUpdate(streamID: id, flags: .ack, delta: extra)))
        actions.append(.inboundStream(id))
        return true
    }

    private func flush(_ id: UInt32, _ stream: inout Stream, into actions: inout [Action]) {
        while var pending = stream.pendingWrite {
            let size = min(UInt32(clamping: pending.readableBytes), stream.sendWindow, configuration.maxSendFrameSize)
            guard size > 0 || pending.readableBytes == 0 else { return }
            if size > 0, let chunk = pending.readSlice(length: Int(size)) {
                stream.sendWindow -= size
                actions.append(.send(.data(streamID: id, payload: chunk)))
            }
            if pending.readableBytes > 0 {
                stream.pendingWrite = pending
                continue
            }
            stream.pendingWrite = nil
            actions.append(.writeCompleted(id))
            if stream.finAfterPendingWrite {
                stream.finAfterPendingWrite = false
                actions.append(.send(.windowUpdate(streamID: id, flags: .fin, delta: 0)))
            }
        }
    }

    /// Saves a stream back, dropping it once both directions are finished and nothing is queued.
    private mutating func store(_ id: UInt32, _ stream: Stream) {
        if stream.localFinished, stream.remoteFinished, stream.pendingWrite == nil {
            remove(id)
        } else {
            streams[id] = stream
        }
    }

    private mutating func remove(_ id: UInt32) {
        guard let stream = streams.removeValue(forKey: id) else { return }
        if stream.inbound { inboundCount -= 1 } else { outboundCount -= 1 }
    }

    private mutating func fail(_ error: YamuxError, into actions: inout [Action]) {
        guard closedReason == nil else { return }
        closedReason = error
        streams.removeAll()
        pings.removeAll()
        actions.append(.send(.goAway(.protocolError)))
        actions.append(.closeConnection(error))
    }
}
