import AgoraCore

/// How a node's HTTP front door listens and what it accepts.
public struct HTTPConfiguration: Sendable {
    public var host: String
    /// 0 picks a free port (tests); `onListening` reports the one bound.
    public var port: Int
    /// PEM files; both or neither. With them the node serves HTTPS only.
    public var tlsCertificatePath: String?
    public var tlsKeyPath: String?
    public var token: String?
    public var allowTokenlessLoopbackWrites: Bool
    /// The largest publish request body: the archive limit plus room for the metadata part
    /// and the multipart framing.
    public var maxPublishBody: Int
    /// Publishes in flight at once; more get 429. Each may hold `maxPublishBody` in memory.
    public var maxConcurrentPublishes: Int
    /// Releases per page of `GET /{scope}/{name}`.
    public var releasesPerPage: Int
    public var archiveLimits: ZipLimits
    /// Memory for finished registry responses (`PackageResponseCache`), archives included.
    public var responseCacheBytes: Int

    public init(
        host: String = "127.0.0.1", port: Int = 8080, tlsCertificatePath: String? = nil, tlsKeyPath: String? = nil,
        token: String? = nil, allowTokenlessLoopbackWrites: Bool = false, archiveLimits: ZipLimits = ZipLimits(),
        maxConcurrentPublishes: Int = 2, releasesPerPage: Int = 100, responseCacheBytes: Int = 64 << 20
    ) {
        self.host = host
        self.port = port
        self.tlsCertificatePath = tlsCertificatePath
        self.tlsKeyPath = tlsKeyPath
        self.token = token
        self.allowTokenlessLoopbackWrites = allowTokenlessLoopbackWrites
        self.archiveLimits = archiveLimits
        self.maxPublishBody = archiveLimits.maxArchiveSize + 128 * 1024
        self.maxConcurrentPublishes = maxConcurrentPublishes
        self.releasesPerPage = releasesPerPage
        self.responseCacheBytes = responseCacheBytes
    }

    public var usesTLS: Bool { tlsCertificatePath != nil }
}
