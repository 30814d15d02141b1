import Crypto
import Logging
import NIOCore

/// The full libp2p upgrade of a raw TCP connection, for dialer and listener alike:
/// multistream `/noise`, the Noise handshake, multistream `/yamux/1.0.0`, then a yamux
/// session. One deadline bounds the whole upgrade, so a peer that stalls anywhere
/// (before, inside or after the handshake) is dropped.
public enum ConnectionUpgrader {
    public struct Upgraded: Sendable {
        public let remotePeer: PeerID
        public let session: YamuxSession
    }

    public struct Options: Sendable {
        public var timeout: TimeAmount
        public var yamux: YamuxConfiguration
        public var multistreamLimits: MultistreamMachine.Limits

        public init(
            timeout: TimeAmount = .seconds(10),
            yamux: YamuxConfiguration = YamuxConfiguration(),
            multistreamLimits: MultistreamMachine.Limits = .init()
        ) {
            self.timeout = timeout
            self.yamux = yamux
            self.multistreamLimits = multistreamLimits
        }
    }

    /// Installs the upgrade on `channel`; call on its event loop (a channel initializer).
    /// The future fails, and the channel is closed, on any error or at the deadline.
    public static func configure(
        channel: any Channel,
        role: NoiseRole,
        identity: Curve25519.Signing.PrivateKey,
        expectedRemotePeer: PeerID? = nil,
        options: Options = Options(),
        logger: Logger
    ) -> EventLoopFuture<Upgraded> {
        let upgraded = channel.eventLoop.makePromise(of: Upgraded.self)
        let deadline = channel.eventLoop.scheduleTask(in: options.timeout) {
            logger.debug(
                "closing connection: upgrade not finished within \(options.timeout)",
                metadata: ["remote": "\(channel.remoteAddress.map { "\($0)" } ?? "?")"]
            )
            upgraded.fail(ConnectionUpgradeError.timedOut(stage: "upgrade"))
            channel.close(promise: nil)
        }
        upgraded.futureResult.whenComplete { _ in deadline.cancel() }

        let secureOptions = SecureUpgrade.Options(timeout: options.timeout, multistreamLimits: options.multistreamLimits)
        SecureUpgrade.configure(
            channel: channel, role: role, identity: identity, expectedRemotePeer: expectedRemotePeer,
            options: secureOptions, logger: logger
        ).whenComplete { result in
            switch result {
            case .failure(let error):
                upgraded.fail(error)
                channel.close(promise: nil)
            case .success(let peer):
                addMuxerNegotiation(
                    channel: channel, role: role, peer: peer, options: options, logger: logger, upgraded: upgraded
                )
            }
        }
        return upgraded.futureResult
    }

    private static func addMuxerNegotiation(
        channel: any Channel, role: NoiseRole, peer: PeerID, options: Options, logger: Logger,
        upgraded: EventLoopPromise<Upgraded>
    ) {
        let negotiated = channel.eventLoop.makePromise(of: MultistreamMachine.Result.self)
        let machine: MultistreamMachine
        let yamuxRole: YamuxStateMachine.Role
        switch role {
        case .initiator:
            machine = .initiator(proposing: [ProtocolIDs.yamux], limits: options.multistreamLimits)
            yamuxRole = .initiator
        case .responder:
            machine = .responder(supporting: [ProtocolIDs.yamux], limits: options.multistreamLimits)
            yamuxRole = .responder
        }
        var sessionLogger = logger
        sessionLogger[metadataKey: "peer"] = "\(peer)"
        let yamuxLogger = sessionLogger
        let multistream = MultistreamHandler(machine: machine, timeout: options.timeout, logger: logger, promise: negotiated) { _ in
            let session = try YamuxSession.configure(
                on: channel, role: yamuxRole, configuration: options.yamux, logger: yamuxLogger
            )
            upgraded.succeed(Upgraded(remotePeer: peer, session: session))
            return []
        }
        negotiated.futureResult.whenFailure { error in
            upgraded.fail(error)
            channel.close(promise: nil)
        }
        do {
            try channel.pipeline.syncOperations.addHandler(multistream)
        } catch {
            upgraded.fail(error)
            channel.close(promise: nil)
        }
    }
}
