/// What one source did during one download: the raw material of retrieval observations.
/// Manifest answers of not-found are not counted: asking every peer is how holders are found.
public struct BlobSourceTally: Sendable, Equatable {
    public var chunks = 0
    public var bytes = 0
    /// Sum over the chunks it served, for the mean.
    public var latency: Duration = .zero
    public var timeouts = 0
    /// Not-found or bad-request answers to chunk requests after it offered the manifest.
    public var refusals = 0
    /// Streams that could not be opened, malformed answers, resets.
    public var failures = 0

    public init() {}

    public var meanLatency: Duration? { chunks == 0 ? nil : latency / chunks }
}
