/// Bounds of `/agora/sync/1.0.0`. Every message is one varint-length-prefixed frame no
/// longer than `maxFrameLength`; batches decompress to at most `maxBatchBytes`; a client
/// keeps at most `maxInFlight` requests unanswered, and a server refuses a client that
/// sends more than that before reading replies.
public struct SyncLimits: Sendable, Equatable {
    public var maxFrameLength: Int
    public var maxBatchBytes: Int
    public var maxEventsPerBatch: Int
    public var maxHeadsPerPage: Int
    public var maxInFlight: Int
    /// Feeds per `holdings` request (more is malformed), and feeds a server keeps per stream
    /// (the rest are not skipped, only sent).
    public var maxHoldingsPerPage: Int
    public var maxHeldFeeds: Int
    /// The longest a server holds a `changes` request open waiting for new events.
    public var maxWait: Duration

    public init(
        maxFrameLength: Int = 3 << 20, maxBatchBytes: Int = 2 << 20, maxEventsPerBatch: Int = 4096,
        maxHeadsPerPage: Int = 512, maxInFlight: Int = 4, maxHoldingsPerPage: Int = 512, maxHeldFeeds: Int = 4096,
        maxWait: Duration = .seconds(30)
    ) {
        self.maxFrameLength = maxFrameLength
        self.maxBatchBytes = maxBatchBytes
        self.maxEventsPerBatch = maxEventsPerBatch
        self.maxHeadsPerPage = maxHeadsPerPage
        self.maxInFlight = maxInFlight
        self.maxHoldingsPerPage = maxHoldingsPerPage
        self.maxHeldFeeds = maxHeldFeeds
        self.maxWait = maxWait
    }
}
