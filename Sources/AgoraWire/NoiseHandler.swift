import Crypto
import Logging
import NIOCore

/// Fired inbound once the Noise handshake has authenticated the remote, before any
/// plaintext is delivered, so handlers added in response see every byte.
public struct NoiseSecuredEvent: Sendable, Equatable {
    public let remotePeer: PeerID
}

/// Secures a byte channel with libp2p Noise. Inbound ciphertext becomes plaintext
/// `ByteBuffer`s for the next handler; outbound plaintext is encrypted. Writes made
/// during the handshake wait (bounded) until it completes. Any failure closes the
/// connection after one log line.
public final class NoiseHandler: ChannelDuplexHandler, RemovableChannelHandler {
    public typealias InboundIn = ByteBuffer
    public typealias InboundOut = ByteBuffer
    public typealias OutboundIn = ByteBuffer
    public typealias OutboundOut = ByteBuffer

    private enum State {
        case idle
        case handshaking(NoiseHandshake)
        case secured(NoiseSession)
        case failed
    }

    private let role: NoiseRole
    private let configuration: NoiseHandshake.Configuration
    private let handshakeTimeout: TimeAmount
    private let maxPendingWriteBytes: Int
    private let logger: Logger
    private let securedPromise: EventLoopPromise<PeerID>?
    private var state: State = .idle
    private var pendingWrites: [(ByteBuffer, EventLoopPromise<Void>?)] = []
    private var pendingWriteBytes = 0
    private var timeoutTask: Scheduled<Void>?
    private var closed = false
    private var promiseCompleted = false

    public init(
        role: NoiseRole,
        configuration: NoiseHandshake.Configuration,
        handshakeTimeout: TimeAmount = .seconds(10),
        maxPendingWriteBytes: Int = 1 << 20,
        logger: Logger,
        securedPromise: EventLoopPromise<PeerID>? = nil
    ) {
        self.role = role
        self.configuration = configuration
        self.handshakeTimeout = handshakeTimeout
        self.maxPendingWriteBytes = maxPendingWriteBytes
        self.logger = logger
        self.securedPromise = securedPromise
    }

    /// The authenticated remote, once the handshake is done.
    public var remotePeer: PeerID? {
        if case .secured(let session) = state { return session.remotePeer }
        return nil
    }

    public func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { begin(context: context) }
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        timeoutTask?.cancel()
        if case .secured = state { return }
        failPending(ConnectionUpgradeError.connectionClosed(stage: "noise"))
    }

    public func channelActive(context: ChannelHandlerContext) {
        begin(context: context)
        context.fireChannelActive()
    }

    public func channelInactive(context: ChannelHandlerContext) {
        if case .handshaking = state {
            fail(context: context, ConnectionUpgradeError.connectionClosed(stage: "noise handshake"))
        }
        context.fireChannelInactive()
    }

    private func begin(context: ChannelHandlerContext) {
        guard case .idle = state else { return }
        var handshake = NoiseHandshake(role: role, configuration: configuration)
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        timeoutTask = context.eventLoop.scheduleTask(in: handshakeTimeout) {
            let (handler, context) = bound.value
            if case .handshaking = handler.state {
                handler.fail(context: context, ConnectionUpgradeError.timedOut(stage: "noise handshake"))
            }
        }
        do {
            let first = try handshake.start()
            state = .handshaking(handshake)
            if !first.isEmpty {
                context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(bytes: first)), promise: nil)
            }
        } catch {
            fail(context: context, error)
        }
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        do {
            switch state {
            case .idle, .failed:
                return
            case .handshaking(var handshake):
                let output = try handshake.receive(buffer.readableBytesView)
                state = .handshaking(handshake)
                if !output.send.isEmpty {
                    context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(bytes: output.send)), promise: nil)
                }
                guard var session = output.session else { return }
                timeoutTask?.cancel()
                let early = try session.open(output.remaining)
                state = .secured(session)
                logger.debug("noise secured", metadata: ["peer": "\(session.remotePeer)"])
                context.fireUserInboundEventTriggered(NoiseSecuredEvent(remotePeer: session.remotePeer))
                promiseCompleted = true
                securedPromise?.succeed(session.remotePeer)
                flushPending(context: context)
                deliver(early, context: context)
            case .secured(var session):
                // Parked in .failed while mutating so the session is not copied; restored on success.
                state = .failed
                let plaintext = try session.open(buffer.readableBytesView)
                state = .secured(session)
                deliver(plaintext, context: context)
            }
        } catch {
            fail(context: context, error)
        }
    }

    private func deliver(_ plaintext: [UInt8], context: ChannelHandlerContext) {
        guard !plaintext.isEmpty else { return }
        context.fireChannelRead(wrapInboundOut(context.channel.allocator.buffer(bytes: plaintext)))
    }

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let buffer = unwrapOutboundIn(data)
        switch state {
        case .secured:
            seal(buffer, context: context, promise: promise)
        case .idle, .handshaking:
            pendingWriteBytes += buffer.readableBytes
            guard pendingWriteBytes <= maxPendingWriteBytes else {
                let error = ConnectionUpgradeError.tooMuchBufferedData(stage: "noise", limit: maxPendingWriteBytes)
                promise?.fail(error)
                fail(context: context, error)
                return
            }
            pendingWrites.append((buffer, promise))
        case .failed:
            promise?.fail(ConnectionUpgradeError.connectionClosed(stage: "noise"))
        }
    }

    private func seal(_ buffer: ByteBuffer, context: ChannelHandlerContext, promise: EventLoopPromise<Void>?) {
        guard case .secured(var session) = state else {
            promise?.fail(ConnectionUpgradeError.connectionClosed(stage: "noise"))
            return
        }
        do {
            state = .failed
            let ciphertext = try session.seal(buffer.readableBytesView)
            state = .secured(session)
            context.write(wrapOutboundOut(context.channel.allocator.buffer(bytes: ciphertext)), promise: promise)
        } catch {
            promise?.fail(error)
            fail(context: context, error)
        }
    }

    private func flushPending(context: ChannelHandlerContext) {
        let writes = pendingWrites
        pendingWrites = []
        pendingWriteBytes = 0
        for (buffer, promise) in writes {
            seal(buffer, context: context, promise: promise)
        }
        if !writes.isEmpty { context.flush() }
    }

    public func errorCaught(context: ChannelHandlerContext, error: Error) {
        fail(context: context, error)
    }

    private func failPending(_ error: Error) {
        let writes = pendingWrites
        pendingWrites = []
        pendingWriteBytes = 0
        for (_, promise) in writes { promise?.fail(error) }
        if !promiseCompleted {
            promiseCompleted = true
            securedPromise?.fail(error)
        }
    }

    private func fail(context: ChannelHandlerContext, _ error: Error) {
        guard !closed else { return }
        closed = true
        state = .failed
        timeoutTask?.cancel()
        logger.debug(
            "noise: closing connection: \(error)",
            metadata: ["remote": "\(context.channel.remoteAddress.map { "\($0)" } ?? "?")", "secured": "\(promiseCompleted)"]
        )
        failPending(error)
        context.close(promise: nil)
    }
}
