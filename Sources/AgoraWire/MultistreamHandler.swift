import Logging
import NIOCore

/// Runs a `MultistreamMachine` on a channel of raw bytes: a whole connection or one
/// muxed stream. On agreement it inserts the handlers for the chosen protocol right
/// after itself, passes them any bytes that arrived early, and removes itself.
public final class MultistreamHandler: ChannelInboundHandler, RemovableChannelHandler {
    public typealias InboundIn = ByteBuffer
    public typealias InboundOut = ByteBuffer
    public typealias OutboundOut = ByteBuffer

    private var machine: MultistreamMachine
    private let timeout: TimeAmount
    private let logger: Logger
    private let promise: EventLoopPromise<MultistreamMachine.Result>
    private let handlersForProtocol: (String) throws -> [ChannelHandler]
    private var started = false
    private var finished = false
    private var timeoutTask: Scheduled<Void>?

    /// - Parameter handlersForProtocol: builds the handlers speaking the agreed protocol;
    ///   called on the event loop before any of that protocol's bytes are delivered.
    public init(
        machine: MultistreamMachine,
        timeout: TimeAmount,
        logger: Logger,
        promise: EventLoopPromise<MultistreamMachine.Result>,
        handlersForProtocol: @escaping (String) throws -> [ChannelHandler]
    ) {
        self.machine = machine
        self.timeout = timeout
        self.logger = logger
        self.promise = promise
        self.handlersForProtocol = handlersForProtocol
    }

    public func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { begin(context: context) }
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        timeoutTask?.cancel()
        if !finished {
            finished = true
            promise.fail(ConnectionUpgradeError.connectionClosed(stage: "multistream"))
        }
    }

    public func channelActive(context: ChannelHandlerContext) {
        begin(context: context)
        context.fireChannelActive()
    }

    public func channelInactive(context: ChannelHandlerContext) {
        fail(context: context, ConnectionUpgradeError.connectionClosed(stage: "multistream"))
        context.fireChannelInactive()
    }

    private func begin(context: ChannelHandlerContext) {
        guard !started else { return }
        started = true
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        timeoutTask = context.eventLoop.scheduleTask(in: timeout) {
            let (handler, context) = bound.value
            handler.fail(context: context, ConnectionUpgradeError.timedOut(stage: "multistream"))
        }
        send(machine.start(), context: context)
    }

    private func send(_ bytes: [UInt8], context: ChannelHandlerContext) {
        guard !bytes.isEmpty else { return }
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(bytes: bytes)), promise: nil)
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !finished else { return }
        let buffer = unwrapInboundIn(data)
        do {
            let output = try machine.receive(buffer.readableBytesView)
            send(output.send, context: context)
            guard let result = output.result else { return }
            finished = true
            timeoutTask?.cancel()
            if case .selected(let name) = result {
                try context.pipeline.syncOperations.addHandlers(handlersForProtocol(name), position: .after(self))
            }
            logger.debug("multistream agreed", metadata: ["result": "\(result)"])
            promise.succeed(result)
            if !output.remaining.isEmpty {
                context.fireChannelRead(wrapInboundOut(context.channel.allocator.buffer(bytes: output.remaining)))
            }
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        } catch {
            finished = false
            fail(context: context, error)
        }
    }

    public func errorCaught(context: ChannelHandlerContext, error: Error) {
        fail(context: context, error)
    }

    private func fail(context: ChannelHandlerContext, _ error: Error) {
        guard !finished else { return }
        finished = true
        timeoutTask?.cancel()
        logger.debug("closing connection: \(error)", metadata: ["remote": "\(context.channel.remoteAddress.map { "\($0)" } ?? "?")"])
        promise.fail(error)
        context.close(promise: nil)
    }
}
