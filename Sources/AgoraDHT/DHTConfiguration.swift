/// Settings of a `DHTNode`. The defaults are libp2p's (k = 20, α = 3, 48 h provider records
/// republished every 22 h) except the request timeout, which is shorter than go-libp2p's
/// because a lookup waits on its slowest needed peer.
public struct DHTConfiguration: Sendable {
    public enum Mode: Sendable, Equatable {
        /// Answers kad requests and enters other peers' tables: a node others can reach.
        case server
        /// Only asks: behind a NAT, or a short-lived CLI process.
        case client
    }

    public var mode: Mode
    public var bucketSize: Int
    public var lookup: LookupConfiguration
    public var providers: ProviderLimits
    public var republishInterval: Duration
    public var refreshInterval: Duration
    /// When an announcement no peer took is tried again.
    public var retryInterval: Duration
    /// How long one request (dial, stream, answer) may take.
    public var requestTimeout: Duration
    /// How long an inbound kad stream may sit idle between requests.
    public var inboundIdleTimeout: Duration
    public var limits: KadLimits
    /// Addresses kept per peer, and peers whose addresses are kept outside the table.
    public var maxAddressesPerPeer: Int
    public var maxAddressBook: Int

    public init(
        mode: Mode = .server, bucketSize: Int = 20, lookup: LookupConfiguration = .init(),
        providers: ProviderLimits = .init(), republishInterval: Duration = .seconds(22 * 3600),
        refreshInterval: Duration = .seconds(600), retryInterval: Duration = .seconds(60), requestTimeout: Duration = .seconds(10),
        inboundIdleTimeout: Duration = .seconds(60), limits: KadLimits = .init(),
        maxAddressesPerPeer: Int = 8, maxAddressBook: Int = 4096
    ) {
        self.mode = mode
        self.bucketSize = bucketSize
        self.lookup = lookup
        self.providers = providers
        self.republishInterval = republishInterval
        self.refreshInterval = refreshInterval
        self.retryInterval = retryInterval
        self.requestTimeout = requestTimeout
        self.inboundIdleTimeout = inboundIdleTimeout
        self.limits = limits
        self.maxAddressesPerPeer = maxAddressesPerPeer
        self.maxAddressBook = maxAddressBook
    }
}
