import Logging
import NIOConcurrencyHelpers
import NIOCore

/// Per-stream state of the NIO shell, shared by the handler (while the stream is live) and
/// the `YamuxStream` handle (for as long as the application keeps it), so calls on a
/// finished stream still get a precise answer. Only touched on the channel's event loop.
final class YamuxStreamState {
    let id: UInt32
    /// Delivered but unread data; the machine's receive window bounds its total size.
    var chunks = CircularBuffer<ByteBuffer>()
    var bufferedBytes = 0
    var remoteFinished = false
    var localFinished = false
    var failure: YamuxError?
    var reader: CheckedContinuation<ByteBuffer?, any Error>?
    var writer: CheckedContinuation<Void, any Error>?
    /// Tasks waiting for the stream to fail (`YamuxStream.waitUntilFailed`), by wait ID.
    var failureWaiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
    /// Waits cancelled before they were registered; each entry is consumed by its registration.
    var cancelledFailureWaits: Set<UInt64> = []

    init(id: UInt32) {
        self.id = id
    }
}

/// Runs a `YamuxStateMachine` on a channel whose inbound bytes are the plaintext of the
/// connection (from TCP or a security handler below) and executes its actions.
///
/// Back-pressure: a write resumes only once the machine has framed all of it (the peer's
/// window had room) and the channel is writable, and each stream has at most one write in
/// flight, so neither a slow reader nor a slow socket makes us buffer without bound. Frames
/// we send in reply to the peer (pong, window updates, RST) are bounded by not reading from
/// a peer whose replies pile up: once `readPauseControlBytes` of them have queued while the
/// channel is not writable, reads pause until it is writable again, so a peer that sends
/// but never reads stalls its own input instead of growing our output queue. (Pausing on
/// unwritability alone would deadlock two peers streaming to each other.) Replies produced
/// by the reads already in flight are capped by `maxBlockedControlBytes`; past it the
/// connection is closed.
final class YamuxHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// Legitimate traffic queues a few window updates while blocked, never thousands.
    static let readPauseControlBytes = 64 * 1024
    /// More than one socket read's worth of 12-byte replies, far below what a flood would queue.
    static let maxBlockedControlBytes = 1 << 20

    private var machine: YamuxStateMachine
    private let logger: Logger
    private let inbound: AsyncStream<YamuxStream>.Continuation
    private let eventLoop: any EventLoop
    private var context: ChannelHandlerContext?
    private var streams: [UInt32: YamuxStreamState] = [:]
    /// Streams whose write was fully framed while the channel was not writable.
    private var writersAwaitingWritability: [YamuxStreamState] = []
    private var pingWaiters: [UInt32: (continuation: CheckedContinuation<Duration, any Error>, timeout: Scheduled<Void>)] = [:]
    private var closedError: YamuxError? {
        didSet { closedOutsideLoop.withLockedValue { $0 = closedError } }
    }
    /// `closedError`, readable off the event loop: a stream that outlives its connection's
    /// event loop (the group shut down while a task still holds the stream) must fail at once
    /// instead of hopping to a loop that drops the job and never resumes it.
    let closedOutsideLoop = NIOLockedValueBox<YamuxError?>(nil)
    private var outbox = ByteBuffer()
    private var runDepth = 0
    /// A read the pipeline asked for while the channel was not writable; issued once it is.
    private var readDeferred = false
    /// Control frames queued since the channel stopped being writable.
    private var blockedControlBytes = 0
    /// Bytes handed to the channel whose write has not completed yet.
    private(set) var queuedOutboundBytes = 0

    init(
        role: YamuxStateMachine.Role,
        configuration: YamuxConfiguration,
        logger: Logger,
        eventLoop: any EventLoop,
        inbound: AsyncStream<YamuxStream>.Continuation
    ) {
        self.machine = YamuxStateMachine(role: role, configuration: configuration)
        self.logger = logger
        self.eventLoop = eventLoop
        self.inbound = inbound
    }

    private var bound: NIOLoopBound<YamuxHandler> { NIOLoopBound(self, eventLoop: eventLoop) }

    // MARK: Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        outbox = context.channel.allocator.buffer(capacity: 0)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        shutdown(.connectionClosed)
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        run(machine.receive(unwrapInboundIn(data), now: .now))
    }

    func channelInactive(context: ChannelHandlerContext) {
        shutdown(.connectionClosed)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("yamux connection error", metadata: ["error": "\(error)"])
        shutdown(.connectionClosed)
        context.close(promise: nil)
    }

    func read(context: ChannelHandlerContext) {
        if context.channel.isWritable || blockedControlBytes < Self.readPauseControlBytes {
            context.read()
        } else {
            readDeferred = true
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            blockedControlBytes = 0
            if readDeferred {
                readDeferred = false
                context.read()
            }
            let waiting = writersAwaitingWritability
            writersAwaitingWritability.removeAll()
            for state in waiting {
                if let writer = state.writer {
                    state.writer = nil
                    writer.resume()
                }
            }
        }
        context.fireChannelWritabilityChanged()
    }

    // MARK: Session operations (called on the event loop by YamuxSession / YamuxStream)

    func openStream() throws(YamuxError) -> YamuxStream {
        if let closedError { throw closedError }
        let (id, actions) = try machine.openStream()
        let state = YamuxStreamState(id: id)
        streams[id] = state
        run(actions)
        return YamuxStream(state: NIOLoopBound(state, eventLoop: eventLoop), handler: bound, closed: closedOutsideLoop)
    }

    func ping(timeout: TimeAmount, continuation: CheckedContinuation<Duration, any Error>) {
        do throws(YamuxError) {
            if let closedError { throw closedError }
            let (opaque, actions) = try machine.ping(now: .now)
            let bound = self.bound
            let timer = eventLoop.scheduleTask(in: timeout) { bound.value.pingTimedOut(opaque) }
            pingWaiters[opaque] = (continuation, timer)
            run(actions)
        } catch {
            continuation.resume(throwing: error)
        }
    }

    func goAway() {
        run(machine.goAway())
    }

    func close() {
        run(machine.close())
    }

    // MARK: Stream operations

    func read(_ state: YamuxStreamState, continuation: CheckedContinuation<ByteBuffer?, any Error>) {
        if let chunk = state.chunks.popFirst() {
            state.bufferedBytes -= chunk.readableBytes
            continuation.resume(returning: chunk)
            run(machine.consumed(chunk.readableBytes, on: state.id))
            releaseIfFinished(state)
        } else if state.remoteFinished {
            continuation.resume(returning: nil)
            releaseIfFinished(state)
        } else if let failure = state.failure {
            continuation.resume(throwing: failure)
        } else if state.reader != nil {
            continuation.resume(throwing: YamuxError.readInProgress)
        } else {
            state.reader = continuation
        }
    }

    func write(_ data: ByteBuffer, on state: YamuxStreamState, continuation: CheckedContinuation<Void, any Error>) {
        do throws(YamuxError) {
            if let failure = state.failure { throw failure }
            guard !state.localFinished else { throw .writeSideClosed }
            guard state.writer == nil else { throw .writeInProgress }
            let actions = try machine.write(data, on: state.id)
            state.writer = continuation
            run(actions)
        } catch {
            continuation.resume(throwing: error)
        }
    }

    func closeWrite(_ state: YamuxStreamState) throws(YamuxError) {
        if let failure = state.failure { throw failure }
        guard !state.localFinished else { return }
        let actions = try machine.closeWrite(state.id)
        state.localFinished = true
        run(actions)
        releaseIfFinished(state)
    }

    func awaitFailure(_ state: YamuxStreamState, wait id: UInt64, continuation: CheckedContinuation<Void, Never>) {
        if state.failure != nil || state.cancelledFailureWaits.remove(id) != nil {
            continuation.resume()
        } else {
            state.failureWaiters[id] = continuation
        }
    }

    func cancelFailureWait(_ state: YamuxStreamState, wait id: UInt64) {
        if let waiter = state.failureWaiters.removeValue(forKey: id) {
            waiter.resume()
        } else if state.failure == nil {
            // The registration has not run yet (a waiter leaves the table only by failure or here).
            state.cancelledFailureWaits.insert(id)
        }
    }

    func reset(_ state: YamuxStreamState) {
        guard streams[state.id] === state else { return }
        streams[state.id] = nil
        run(machine.reset(state.id))
        fail(state, .streamReset, dropData: true)
    }

    // MARK: Executing machine actions

    private func run(_ actions: [YamuxStateMachine.Action]) {
        runDepth += 1
        for action in actions {
            execute(action)
        }
        runDepth -= 1
        if runDepth == 0 { flushOutbox() }
    }

    private func execute(_ action: YamuxStateMachine.Action) {
        switch action {
        case .send(let frame):
            if frame.type != .data, let context, !context.channel.isWritable {
                blockedControlBytes += YamuxFrame.headerLength
                if blockedControlBytes > Self.maxBlockedControlBytes {
                    peerNotReading()
                    return
                }
            }
            frame.encode(into: &outbox)
        case .inboundStream(let id):
            acceptInbound(id)
        case .data(let id, let bytes):
            deliver(bytes, to: id)
        case .remoteFinished(let id):
            guard let state = streams[id] else { return }
            state.remoteFinished = true
            if state.chunks.isEmpty, let reader = state.reader {
                state.reader = nil
                reader.resume(returning: nil)
            }
            releaseIfFinished(state)
        case .streamReset(let id):
            guard let state = streams.removeValue(forKey: id) else { return }
            fail(state, .streamReset, dropData: true)
        case .writeCompleted(let id):
            guard let state = streams[id], state.writer != nil else { return }
            if context?.channel.isWritable ?? false {
                let writer = state.writer
                state.writer = nil
                writer?.resume()
            } else {
                writersAwaitingWritability.append(state)
            }
        case .pong(let opaque, let rtt):
            guard let waiter = pingWaiters.removeValue(forKey: opaque) else { return }
            waiter.timeout.cancel()
            waiter.continuation.resume(returning: rtt)
        case .goAwayReceived(let code):
            logger.debug("yamux peer sent go-away", metadata: ["code": "\(code)"])
        case .closeConnection(let error):
            flushOutbox()
            logger.debug("yamux session ended", metadata: ["error": "\(error)"])
            shutdown(error)
            context?.close(promise: nil)
        }
    }

    private func acceptInbound(_ id: UInt32) {
        let state = YamuxStreamState(id: id)
        streams[id] = state
        let stream = YamuxStream(state: NIOLoopBound(state, eventLoop: eventLoop), handler: bound, closed: closedOutsideLoop)
        switch inbound.yield(stream) {
        case .enqueued:
            break
        case .dropped, .terminated:
            streams[id] = nil
            run(machine.reset(id))
            fail(state, .streamReset, dropData: true)
        @unknown default:
            streams[id] = nil
            run(machine.reset(id))
            fail(state, .streamReset, dropData: true)
        }
    }

    private func deliver(_ bytes: ByteBuffer, to id: UInt32) {
        guard let state = streams[id] else { return }
        if let reader = state.reader {
            state.reader = nil
            reader.resume(returning: bytes)
            run(machine.consumed(bytes.readableBytes, on: id))
        } else {
            state.chunks.append(bytes)
            state.bufferedBytes += bytes.readableBytes
        }
    }

    private func flushOutbox() {
        guard outbox.readableBytes > 0, let context else { return }
        let bytes = outbox
        outbox = context.channel.allocator.buffer(capacity: 0)
        let count = bytes.readableBytes
        queuedOutboundBytes += count
        let bound = self.bound
        context.writeAndFlush(wrapOutboundOut(bytes)).whenComplete { _ in
            bound.value.queuedOutboundBytes -= count
        }
    }

    /// The peer keeps provoking replies it does not read; drop it rather than queue more.
    private func peerNotReading() {
        guard closedError == nil else { return }
        logger.debug("yamux: closing connection, peer does not read its replies")
        outbox.clear()
        shutdown(.connectionClosed)
        context?.close(promise: nil)
    }

    private func pingTimedOut(_ opaque: UInt32) {
        guard let waiter = pingWaiters.removeValue(forKey: opaque) else { return }
        machine.cancelPing(opaque)
        waiter.continuation.resume(throwing: YamuxError.pingTimeout)
    }

    /// Forgets a stream once both sides have finished and the application has read it all.
    private func releaseIfFinished(_ state: YamuxStreamState) {
        if state.localFinished, state.remoteFinished, state.chunks.isEmpty, state.writer == nil,
            streams[state.id] === state
        {
            streams[state.id] = nil
        }
    }

    private func fail(_ state: YamuxStreamState, _ error: YamuxError, dropData: Bool) {
        if state.failure == nil { state.failure = error }
        if dropData {
            state.chunks.removeAll()
            state.bufferedBytes = 0
        }
        if let reader = state.reader {
            state.reader = nil
            reader.resume(throwing: error)
        }
        if let writer = state.writer {
            state.writer = nil
            writer.resume(throwing: error)
        }
        let waiters = state.failureWaiters.values
        state.failureWaiters.removeAll()
        for waiter in waiters { waiter.resume() }
    }

    /// Fails everything still waiting; buffered data stays readable.
    private func shutdown(_ error: YamuxError) {
        guard closedError == nil else { return }
        closedError = error
        machine.connectionClosed()
        let live = streams.values
        streams.removeAll()
        writersAwaitingWritability.removeAll()
        for state in live {
            fail(state, error, dropData: false)
        }
        let waiters = pingWaiters.values
        pingWaiters.removeAll()
        for waiter in waiters {
            waiter.timeout.cancel()
            waiter.continuation.resume(throwing: error)
        }
        inbound.finish()
    }
}
