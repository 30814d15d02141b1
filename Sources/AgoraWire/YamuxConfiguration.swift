/// Limits of one yamux session. The defaults follow the spec (256 KiB windows) and the
/// stream limits go-yamux uses.
public struct YamuxConfiguration: Sendable {
    /// Both sides assume this window for a new stream before any window update (spec).
    public static let initialWindow: UInt32 = 256 * 1024

    /// Per-stream receive window: the most unread bytes we buffer for one stream. Values
    /// below the spec's initial window are raised to it, since the peer may send that much
    /// before it hears from us.
    public var receiveWindow: UInt32 {
        didSet { receiveWindow = max(receiveWindow, Self.initialWindow) }
    }
    /// Streams the peer may have open at once; further SYNs are answered with RST.
    public var maxInboundStreams: Int
    /// Streams we may have open at once.
    public var maxOutboundStreams: Int
    /// Largest data payload we put in one frame, so one stream's write cannot monopolise
    /// the connection for a whole window.
    public var maxSendFrameSize: UInt32
    /// Pings awaiting an answer; bounds the bookkeeping a silent peer can cause.
    public var maxOutstandingPings: Int

    public init(
        receiveWindow: UInt32 = YamuxConfiguration.initialWindow,
        maxInboundStreams: Int = 256,
        maxOutboundStreams: Int = 256,
        maxSendFrameSize: UInt32 = 64 * 1024,
        maxOutstandingPings: Int = 16
    ) {
        self.receiveWindow = max(receiveWindow, Self.initialWindow)
        self.maxInboundStreams = max(0, maxInboundStreams)
        self.maxOutboundStreams = max(0, maxOutboundStreams)
        self.maxSendFrameSize = max(1, maxSendFrameSize)
        self.maxOutstandingPings = max(1, maxOutstandingPings)
    }
}
