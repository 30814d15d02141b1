import Crypto
import Logging
import NIOCore

/// The first step of every libp2p TCP connection: multistream-select `/noise`, then the
/// Noise handshake. Afterwards the pipeline ends in a `NoiseHandler` whose inbound side
/// yields plaintext `ByteBuffer`s; the caller stacks the muxer negotiation on top.
public enum SecureUpgrade {
    public struct Options: Sendable {
        /// Bounds multistream negotiation and, separately, the Noise handshake.
        public var timeout: TimeAmount
        public var maxPendingWriteBytes: Int
        public var multistreamLimits: MultistreamMachine.Limits

        public init(
            timeout: TimeAmount = .seconds(10),
            maxPendingWriteBytes: Int = 1 << 20,
            multistreamLimits: MultistreamMachine.Limits = .init()
        ) {
            self.timeout = timeout
            self.maxPendingWriteBytes = maxPendingWriteBytes
            self.multistreamLimits = multistreamLimits
        }
    }

    /// Configures `channel` (on its event loop, e.g. from a channel initializer) to secure the
    /// connection. The returned future succeeds with the authenticated remote peer, on the
    /// event loop and before any plaintext is delivered, so handlers added from its callback
    /// receive every byte.
    public static func configure(
        channel: Channel,
        role: NoiseRole,
        identity: Curve25519.Signing.PrivateKey,
        expectedRemotePeer: PeerID? = nil,
        options: Options = Options(),
        logger: Logger
    ) -> EventLoopFuture<PeerID> {
        let secured = channel.eventLoop.makePromise(of: PeerID.self)
        let negotiated = channel.eventLoop.makePromise(of: MultistreamMachine.Result.self)
        let machine: MultistreamMachine
        switch role {
        case .initiator: machine = .initiator(proposing: [ProtocolIDs.noise], limits: options.multistreamLimits)
        case .responder: machine = .responder(supporting: [ProtocolIDs.noise], limits: options.multistreamLimits)
        }
        let configuration = NoiseHandshake.Configuration(identity: identity, expectedRemotePeer: expectedRemotePeer)
        let multistream = MultistreamHandler(
            machine: machine, timeout: options.timeout, logger: logger, promise: negotiated
        ) { _ in
            [NoiseHandler(
                role: role, configuration: configuration, handshakeTimeout: options.timeout,
                maxPendingWriteBytes: options.maxPendingWriteBytes, logger: logger, securedPromise: secured
            )]
        }
        negotiated.futureResult.whenFailure { secured.fail($0) }
        do {
            try channel.pipeline.syncOperations.addHandler(multistream)
        } catch {
            secured.fail(error)
        }
        return secured.futureResult
    }
}
