import Logging
import NIOCore

/// A yamux session on one connection: open and accept streams, ping, go away, close.
///
/// The session is installed as a handler whose inbound bytes are the connection plaintext
/// (plain TCP, or the output of the security layer). All state lives on the channel's
/// event loop; this type only forwards calls there, so it can be shared freely.
public final class YamuxSession: Sendable {
    /// Streams the peer opened, in order. Buffered up to the inbound stream limit; a stream
    /// that does not fit is reset. Finishes when the session ends.
    public let inboundStreams: AsyncStream<YamuxStream>
    public let role: YamuxStateMachine.Role
    /// Completes when the underlying channel has closed.
    public let closeFuture: EventLoopFuture<Void>
    private let handler: NIOLoopBound<YamuxHandler>

    private init(
        role: YamuxStateMachine.Role,
        inboundStreams: AsyncStream<YamuxStream>,
        closeFuture: EventLoopFuture<Void>,
        handler: NIOLoopBound<YamuxHandler>
    ) {
        self.role = role
        self.inboundStreams = inboundStreams
        self.closeFuture = closeFuture
        self.handler = handler
    }

    /// Adds the yamux handler at the end of `channel`'s pipeline. Must run on the channel's
    /// event loop (for instance inside a channel initializer or after the security handshake).
    public static func configure(
        on channel: any Channel,
        role: YamuxStateMachine.Role,
        configuration: YamuxConfiguration = YamuxConfiguration(),
        logger: Logger = Logger(label: "agora.yamux")
    ) throws -> YamuxSession {
        channel.eventLoop.preconditionInEventLoop()
        let (streams, continuation) = AsyncStream.makeStream(
            of: YamuxStream.self,
            bufferingPolicy: .bufferingOldest(max(1, configuration.maxInboundStreams))
        )
        let handler = YamuxHandler(
            role: role,
            configuration: configuration,
            logger: logger,
            eventLoop: channel.eventLoop,
            inbound: continuation
        )
        try channel.pipeline.syncOperations.addHandler(handler)
        return YamuxSession(
            role: role,
            inboundStreams: streams,
            closeFuture: channel.closeFuture,
            handler: NIOLoopBound(handler, eventLoop: channel.eventLoop)
        )
    }

    /// `configure` from any thread.
    public static func install(
        on channel: any Channel,
        role: YamuxStateMachine.Role,
        configuration: YamuxConfiguration = YamuxConfiguration(),
        logger: Logger = Logger(label: "agora.yamux")
    ) -> EventLoopFuture<YamuxSession> {
        channel.eventLoop.submit {
            try configure(on: channel, role: role, configuration: configuration, logger: logger)
        }
    }

    private var eventLoop: any EventLoop { handler.eventLoop }

    /// Opens a stream; data may be written at once, before the peer's ACK (spec).
    public func openStream() async throws -> YamuxStream {
        let handler = self.handler
        return try await eventLoop.submit { try handler.value.openStream() }.get()
    }

    /// Round-trip time of one yamux ping.
    public func ping(timeout: TimeAmount = .seconds(10)) async throws -> Duration {
        let handler = self.handler
        return try await withCheckedThrowingContinuation { continuation in
            handler.eventLoop.execute {
                handler.value.ping(timeout: timeout, continuation: continuation)
            }
        }
    }

    /// Bytes written to the connection that the socket has not taken yet; bounded by
    /// back-pressure however the peer behaves.
    public func queuedOutboundBytes() async throws -> Int {
        let handler = self.handler
        return try await eventLoop.submit { handler.value.queuedOutboundBytes }.get()
    }

    /// Refuses new inbound streams from now on; existing streams carry on.
    public func goAway() async {
        let handler = self.handler
        try? await eventLoop.submit { handler.value.goAway() }.get()
    }

    /// Sends a go-away and closes the connection; every stream fails with `sessionClosed`
    /// (data already received stays readable).
    public func close() async {
        let handler = self.handler
        try? await eventLoop.submit { handler.value.close() }.get()
        try? await closeFuture.get()
    }
}
