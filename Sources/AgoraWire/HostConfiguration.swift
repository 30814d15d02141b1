import NIOCore

public struct HostConfiguration: Sendable {
    /// What identify tells peers about our implementation.
    public var agentVersion: String
    public var protocolVersion: String
    /// TCP connect timeout of one dial.
    public var dialTimeout: TimeAmount
    /// Bounds the upgrade (Noise + yamux negotiation) and sets the muxer limits.
    public var upgrade: ConnectionUpgrader.Options
    /// Bounds protocol negotiation on each stream, so a silent stream cannot hold a slot.
    public var streamNegotiationTimeout: Duration
    public var streamNegotiationLimits: MultistreamMachine.Limits
    public var limits: ConnectionLimits
    /// How often idle connections and keep-alives are checked.
    public var maintenanceInterval: Duration
    /// Ask every new peer who it is, so `peerInfo` knows its protocols.
    public var identifyOnConnect: Bool
    /// Failures peers cause are logged at debug, plus one info summary per this interval.
    public var logSummaryInterval: Duration
    /// How long `shutdown` lets handlers end on their own before cancelling them. A
    /// short-lived client (`agora install`) has nothing worth waiting for.
    public var shutdownGrace: Duration = .seconds(2)

    public init(
        agentVersion: String = "agora/0.1.0",
        protocolVersion: String = "ipfs/0.1.0",
        dialTimeout: TimeAmount = .seconds(10),
        upgrade: ConnectionUpgrader.Options = .init(),
        streamNegotiationTimeout: Duration = .seconds(10),
        streamNegotiationLimits: MultistreamMachine.Limits = .init(),
        limits: ConnectionLimits = .init(),
        maintenanceInterval: Duration = .seconds(5),
        identifyOnConnect: Bool = true,
        logSummaryInterval: Duration = .seconds(10)
    ) {
        self.agentVersion = agentVersion
        self.protocolVersion = protocolVersion
        self.dialTimeout = dialTimeout
        self.upgrade = upgrade
        self.streamNegotiationTimeout = streamNegotiationTimeout
        self.streamNegotiationLimits = streamNegotiationLimits
        self.limits = limits
        self.maintenanceInterval = maintenanceInterval
        self.identifyOnConnect = identifyOnConnect
        self.logSummaryInterval = logSummaryInterval
    }
}
