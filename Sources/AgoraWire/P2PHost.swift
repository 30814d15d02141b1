import AgoraCore
import Logging
import NIOCore
import NIOPosix

/// A libp2p node: listens and dials over TCP, upgrades every connection to Noise + yamux,
/// negotiates a protocol on each stream and hands it to the registered handler. It
/// answers identify, identify push and ping itself.
///
/// The actor holds the bookkeeping (connections, peers, handlers); the bytes move on NIO
/// event loops and in the tasks that run stream handlers. Those tasks are children of
/// `run()`, which every user of a host must run (its shape is what a service lifecycle
/// expects): work queued before `run()` starts waits for it.
public actor P2PHost {
    public nonisolated let identity: Identity
    public nonisolated let peerID: PeerID
    public nonisolated let configuration: HostConfiguration
    nonisolated let group: any EventLoopGroup
    private let ownsGroup: Bool
    private let logger: Logger
    private var registry = ProtocolRegistry()
    private var builtinsInstalled = false
    private var manager: ConnectionManagerState
    private var connections: [ConnectionID: Connection] = [:]
    /// Inbound connections in their handshake, so an evicted one can be closed.
    private var handshakes: [PendingID: any Channel] = [:]
    /// Peer-caused failures are logged at debug; this turns them into one info line per interval.
    private var refusals: LogSummary
    private var peers: [PeerID: PeerInfo] = [:]
    private var addressBook: [PeerID: Multiaddr] = [:]
    /// Peers with at least one connection, as peer events have reported them.
    private var announced: Set<PeerID> = []
    private var peerEventHub = PeerEventHub()
    private var dialWaiters: [CheckedContinuation<Void, any Error>] = []
    private var listeners: [any Channel] = []
    /// Set by `listen`: only a listening host closes idle connections and sends keep-alives.
    private var maintaining = false
    /// Stream handlers, identify, keep-alive and connection-closing work for `run()` to
    /// start as children of its task group. Unbounded because every job belongs to an
    /// admitted connection or stream, which `ConnectionLimits` and yamux already bound;
    /// dropping one would leave its stream unanswered. Finished by `shutdown()`.
    private let jobs: AsyncStream<Job>
    private let jobQueue: AsyncStream<Job>.Continuation
    private var runStarted = false
    /// Jobs queued or running, awaited (bounded) on shutdown so nothing touches the event
    /// loops after the host is gone.
    private var inFlight = 0
    /// Jobs not yet started; a cancelled `run()` drops them from the queue.
    private var queued = 0
    private var drainWaiter: CheckedContinuation<Void, Never>?
    private var lifecycle = Lifecycle.open
    public private(set) var listenAddresses: [Multiaddr] = []

    /// - Parameter group: event loops to run on; by default the host makes and owns its own.
    public init(
        identity: Identity,
        configuration: HostConfiguration = HostConfiguration(),
        group: (any EventLoopGroup)? = nil,
        logger: Logger = Logger(label: "agora.host")
    ) {
        self.identity = identity
        self.peerID = PeerID(identity: identity)
        self.configuration = configuration
        self.group = group ?? MultiThreadedEventLoopGroup(numberOfThreads: max(1, System.coreCount))
        self.ownsGroup = group == nil
        var logger = logger
        logger[metadataKey: "self"] = "\(PeerID(identity: identity))"
        self.logger = logger
        self.manager = ConnectionManagerState(limits: configuration.limits)
        self.refusals = LogSummary(interval: configuration.logSummaryInterval)
        (jobs, jobQueue) = AsyncStream.makeStream(of: Job.self)
    }

    private struct Job: Sendable {
        let body: @Sendable () async -> Void
    }

    private enum Lifecycle {
        case open
        case stopping(waiters: [CheckedContinuation<Void, Never>])
        case stopped
    }

    // MARK: Running

    /// Runs the host's work (stream handlers, identify, keep-alives, maintenance) as
    /// children of one task group until `shutdown()` or cancellation of the calling task.
    /// Cancellation cancels every running handler and shuts the host down; it returns once
    /// the children have ended, so a handler that ignores cancellation keeps it waiting
    /// (though `shutdown()` itself gives up on such a handler after a bound).
    public func run() async throws {
        guard !runStarted else { throw HostError.alreadyRunning }
        runStarted = true
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.maintenanceLoop() }
            for await job in jobs {
                queued -= 1
                group.addTask {
                    await job.body()
                    await self.jobFinished()
                }
            }
            // The queue ends when shutdown gives up waiting or this task is cancelled; in the
            // latter case the jobs still queued are dropped and will never finish.
            inFlight -= queued
            queued = 0
            if inFlight == 0 { endDrain() }
            group.cancelAll()
            await shutdown()
        }
    }

    // MARK: Protocol handlers

    /// Serves `protocolID` on inbound streams with `handler`, replacing any earlier one.
    /// Connected peers are told through identify push.
    public func handle(_ protocolID: String, handler: @escaping StreamHandler) throws {
        try installBuiltinHandlers()
        try registry.register(protocolID, handler: handler)
        pushIdentifyToAll()
    }

    public func removeHandler(_ protocolID: String) {
        registry.remove(protocolID)
        pushIdentifyToAll()
    }

    /// The protocols we answer, as identify advertises them.
    public var supportedProtocols: [String] { registry.protocols }

    private func installBuiltinHandlers() throws {
        guard !builtinsInstalled, !manager.isShuttingDown else { return }
        builtinsInstalled = true
        try registry.register(ProtocolIDs.identify) { [weak self] stream in
            guard let self else { return }
            try await stream.writeLengthPrefixed(await self.identifyMessage(observed: stream.remoteAddress).encoded())
            try await stream.closeWrite()
        }
        try registry.register(ProtocolIDs.identifyPush) { [weak self] stream in
            guard let bytes = try await stream.readLengthPrefixed(maxLength: IdentifyMessage.maxEncodedLength) else { return }
            await self?.applyPush(try IdentifyMessage(decoding: bytes), from: stream.remotePeer)
        }
        try registry.register(ProtocolIDs.ping) { stream in
            while true {
                let payload: [UInt8]
                do {
                    payload = try await stream.readExactly(PingMachine.payloadLength)
                } catch P2PStreamError.unexpectedEnd(expected: _, got: 0) {
                    return
                }
                try await stream.write(payload)
            }
        }
    }

    // MARK: Listening

    /// Starts accepting connections on a TCP multiaddr (port 0 picks a free port) and returns
    /// the bound address, without the /p2p suffix.
    @discardableResult
    public func listen(on address: Multiaddr) async throws -> Multiaddr {
        guard !manager.isShuttingDown else { throw HostError.shutDown }
        try installBuiltinHandlers()
        guard let (hostName, port) = address.tcpHostAndPort else { throw HostError.unsupportedAddress("\(address)") }
        let server = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.backlog, value: 256)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { [weak self] channel in
                guard let self else { return channel.eventLoop.makeFailedFuture(HostError.shutDown) }
                let admitted = channel.eventLoop.makePromise(of: PendingID.self)
                admitted.completeWithTask { try await self.admitInbound(channel) }
                return admitted.futureResult.map { pending in
                    self.startInboundUpgrade(channel, pending: pending)
                }
            }
            .bind(host: hostName, port: port).get()
        listeners.append(server)
        guard let local = server.localAddress, let bound = Multiaddr(socketAddress: local) else {
            throw HostError.unsupportedAddress("\(address)")
        }
        let advertised = ListenAddresses.advertised(for: bound, interfaces: ((try? System.enumerateDevices()) ?? []).compactMap(\.address))
        listenAddresses += advertised
        startMaintenance()
        for address in advertised {
            logger.info("listening", metadata: ["address": "\(address.withPeerID(peerID))"])
        }
        return bound
    }

    private func admitInbound(_ channel: any Channel) throws -> PendingID {
        let group = channel.remoteAddress?.addressGroup ?? "?"
        switch manager.inboundArrived(from: group, now: .now) {
        case .refuse(let refusal):
            peerFailure(refusal.kind, "refusing inbound connection: \(refusal)", remote: channel.remoteAddress)
            throw HostError.refused(refusal)
        case .admit(let pending, let evicting):
            if let evicting, let victim = handshakes.removeValue(forKey: evicting) {
                peerFailure("handshake evicted", "evicting a pending handshake to admit a new one", remote: victim.remoteAddress)
                victim.close(promise: nil)
            }
            handshakes[pending] = channel
            return pending
        }
    }

    /// The completion hops onto the actor in a task of its own: it only updates bookkeeping,
    /// so it is short and cannot block, and NIO callbacks cannot await.
    private nonisolated func startInboundUpgrade(_ channel: any Channel, pending: PendingID) {
        ConnectionUpgrader.configure(
            channel: channel, role: .responder, identity: identity.privateKey,
            options: configuration.upgrade, logger: logger
        ).whenComplete { result in
            Task { await self.inboundUpgradeFinished(result, channel: channel, pending: pending) }
        }
    }

    private func inboundUpgradeFinished(
        _ result: Result<ConnectionUpgrader.Upgraded, any Error>, channel: any Channel, pending: PendingID
    ) {
        manager.handshakeEnded(pending)
        handshakes[pending] = nil
        switch result {
        case .failure(let error):
            peerFailure("handshake failed", "inbound upgrade failed: \(error)", remote: channel.remoteAddress)
        case .success(let upgraded):
            _ = register(upgraded, direction: .inbound, channel: channel)
        }
    }

    /// Logs a failure a peer caused at debug and counts it for the periodic info summary.
    private func peerFailure(_ reason: String, _ message: @autoclosure () -> String, remote: SocketAddress?) {
        logger.debug("\(message())", metadata: ["remote": "\(remote.map { "\($0)" } ?? "?")"])
        if let report = refusals.record(reason, now: .now) {
            logger.info("\(report)")
        }
    }

    // MARK: Dialing

    /// Connects to `address` (reusing a connection to the same peer when there is one).
    /// When the address ends in /p2p/<id> the remote must prove that identity.
    @discardableResult
    public func connect(to address: Multiaddr) async throws -> Connection {
        guard !manager.isShuttingDown else { throw HostError.shutDown }
        try installBuiltinHandlers()
        let expected = address.peerID
        switch manager.dialRequested(peer: expected) {
        case .reuse(let id):
            if let connection = connections[id] { return connection }
            throw HostError.notConnected(manager.peer(of: id) ?? peerID)
        case .refuse(let refusal):
            throw HostError.refused(refusal)
        case .enqueue:
            try await withCheckedThrowingContinuation { dialWaiters.append($0) }
        case .start:
            break
        }
        defer { releaseDialSlot() }
        if let expected, let existing = manager.connections(to: expected).first, let connection = connections[existing] {
            return connection
        }
        let (upgraded, channel) = try await Self.dial(
            address, expected: expected, group: group, identity: identity, configuration: configuration, logger: logger
        )
        if manager.isShuttingDown {
            channel.close(promise: nil)
            throw HostError.shutDown
        }
        let connection = try register(upgraded, direction: .outbound, channel: channel).get()
        addressBook[upgraded.remotePeer] = address.withoutPeerID
        return connection
    }

    private func releaseDialSlot() {
        if manager.dialFinished(), !dialWaiters.isEmpty {
            dialWaiters.removeFirst().resume()
        }
    }

    private static func dial(
        _ address: Multiaddr, expected: PeerID?, group: any EventLoopGroup, identity: Identity,
        configuration: HostConfiguration, logger: Logger
    ) async throws -> (ConnectionUpgrader.Upgraded, any Channel) {
        guard let (hostName, port) = address.tcpHostAndPort else { throw HostError.unsupportedAddress("\(address)") }
        let upgraded = group.any().makePromise(of: ConnectionUpgrader.Upgraded.self)
        let channel: any Channel
        do {
            channel = try await ClientBootstrap(group: group)
                .connectTimeout(configuration.dialTimeout)
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .channelInitializer { channel in
                    ConnectionUpgrader.configure(
                        channel: channel, role: .initiator, identity: identity.privateKey,
                        expectedRemotePeer: expected, options: configuration.upgrade, logger: logger
                    ).cascade(to: upgraded)
                    return channel.eventLoop.makeSucceededVoidFuture()
                }
                .connect(host: hostName, port: port).get()
        } catch {
            upgraded.fail(error)
            throw error
        }
        return (try await upgraded.futureResult.get(), channel)
    }

    private func register(
        _ upgraded: ConnectionUpgrader.Upgraded, direction: ConnectionDirection, channel: any Channel
    ) -> Result<Connection, HostError> {
        let group = channel.remoteAddress?.addressGroup
        switch manager.established(peer: upgraded.remotePeer, direction: direction, address: group, now: .now) {
        case .failure(let refusal):
            peerFailure(refusal.kind, "closing connection from \(upgraded.remotePeer): \(refusal)", remote: channel.remoteAddress)
            if !spawn({ await upgraded.session.close() }) { channel.close(promise: nil) }
            return .failure(.refused(refusal))
        case .success(let admitted):
            let id = admitted.id
            for evicted in admitted.evicting {
                guard let victim = connections.removeValue(forKey: evicted) else { continue }
                peerFailure("connection evicted", "evicting \(victim) to admit \(upgraded.remotePeer)", remote: victim.channel.remoteAddress)
                forgetPeerIfGone(victim.remotePeer)
                if !spawn({ await victim.close() }) { victim.channel.close(promise: nil) }
            }
            let connection = Connection(
                id: id, remotePeer: upgraded.remotePeer, direction: direction, session: upgraded.session, channel: channel
            )
            connections[id] = connection
            logger.debug("connected", metadata: ["connection": "\(connection)"])
            if announced.insert(connection.remotePeer).inserted {
                peerEventHub.emit(.connected(connection.remotePeer, direction))
            }
            // A short bookkeeping hop from a NIO callback, which cannot await; it cannot block.
            channel.closeFuture.whenComplete { _ in
                Task { await self.connectionClosed(id) }
            }
            spawn { await self.acceptStreams(on: connection) }
            if configuration.identifyOnConnect {
                spawn { _ = try? await self.identify(on: connection) }
            }
            return .success(connection)
        }
    }

    private func connectionClosed(_ id: ConnectionID) {
        guard let connection = connections.removeValue(forKey: id) else { return }
        manager.closed(id)
        forgetPeerIfGone(connection.remotePeer)
        logger.debug("disconnected", metadata: ["connection": "\(connection)"])
    }

    private func forgetPeerIfGone(_ peer: PeerID) {
        if manager.connections(to: peer).isEmpty {
            peers[peer] = nil
            if announced.remove(peer) != nil {
                peerEventHub.emit(.disconnected(peer))
            }
        }
    }

    // MARK: Peer events

    /// Peer events from now on, starting with the present: `connected` (and `identified`
    /// when known) for every peer connected at the call. At most `limit` events wait
    /// unread; beyond that the oldest are dropped. The stream ends when the host shuts down.
    public func peerEvents(limit: Int = 1024) -> AsyncStream<PeerEvent> {
        let (stream, continuation) = AsyncStream.makeStream(of: PeerEvent.self, bufferingPolicy: .bufferingNewest(max(1, limit)))
        guard case .open = lifecycle else {
            continuation.finish()
            return stream
        }
        for peer in announced {
            guard let direction = manager.connections(to: peer).first.flatMap({ connections[$0]?.direction }) else { continue }
            _ = continuation.yield(.connected(peer, direction))
            if let info = peers[peer] { _ = continuation.yield(.identified(info)) }
        }
        let id = peerEventHub.add(continuation)
        // A bookkeeping hop from the stream's termination callback, which cannot await.
        continuation.onTermination = { _ in Task { await self.removePeerEventSubscriber(id) } }
        return stream
    }

    private func removePeerEventSubscriber(_ id: UInt64) {
        peerEventHub.remove(id)
    }

    // MARK: Streams

    private nonisolated func acceptStreams(on connection: Connection) async {
        for await stream in connection.session.inboundStreams {
            await spawn { await self.serve(stream, on: connection) }
        }
    }

    /// Queues `body` for `run()`; false when the queue has ended (shut down) and it was dropped.
    @discardableResult
    private func spawn(_ body: @escaping @Sendable () async -> Void) -> Bool {
        guard case .enqueued = jobQueue.yield(Job(body: body)) else { return false }
        inFlight += 1
        queued += 1
        return true
    }

    private func jobFinished() {
        inFlight -= 1
        if inFlight == 0 { endDrain() }
    }

    /// Waits until every job has ended or `limit` has passed; true when all ended. The
    /// group's children cannot be awaited with a bound, so this waits on a continuation that
    /// either the last job or a timer resumes. The timer is a detached sleep that is
    /// cancelled as soon as the wait ends, so it cannot outlive the shutdown.
    private func drainJobs(within limit: Duration) async -> Bool {
        guard inFlight > 0 else { return true }
        let timer = Task { [weak self] in
            try? await Task.sleep(for: limit)
            await self?.endDrain()
        }
        await withCheckedContinuation { drainWaiter = $0 }
        timer.cancel()
        return inFlight == 0
    }

    private func endDrain() {
        drainWaiter?.resume()
        drainWaiter = nil
    }

    private func serve(_ stream: YamuxStream, on connection: Connection) async {
        let supported = registry.protocols
        let negotiated: (protocolID: String, leftover: [UInt8])
        do {
            negotiated = try await withWireTimeout(
                configuration.streamNegotiationTimeout, operation: "stream negotiation", onTimeout: { stream.reset() }
            ) { [limits = configuration.streamNegotiationLimits] in
                try await StreamNegotiation.respond(on: stream, supporting: supported, limits: limits)
            }
        } catch {
            logger.debug("inbound stream negotiation failed: \(error)", metadata: ["peer": "\(connection.remotePeer)"])
            stream.reset()
            return
        }
        guard let handler = registry.handler(for: negotiated.protocolID) else {
            stream.reset()
            return
        }
        let p2p = makeStream(stream, negotiated: negotiated, on: connection)
        do {
            try await handler(p2p)
            try? await p2p.closeWrite()
            await p2p.release()
        } catch {
            logger.debug("stream handler failed: \(error)", metadata: ["protocol": "\(negotiated.protocolID)", "peer": "\(connection.remotePeer)"])
            await p2p.reset()
        }
    }

    private func makeStream(
        _ stream: YamuxStream, negotiated: (protocolID: String, leftover: [UInt8]), on connection: Connection
    ) -> P2PStream {
        let id = connection.id
        manager.streamOpened(on: id, now: .now)
        return P2PStream(
            stream: stream, protocolID: negotiated.protocolID, remotePeer: connection.remotePeer,
            remoteAddress: connection.remoteAddress, leftover: negotiated.leftover,
            // A bookkeeping hop from a synchronous callback; short, it cannot block.
            onFinish: { Task { await self.streamFinished(on: id) } }
        )
    }

    private func streamFinished(on id: ConnectionID) {
        manager.streamClosed(on: id, now: .now)
    }

    /// Opens a stream to `peer` speaking the first of `protocols` it accepts, dialing its
    /// last known address when not connected.
    public func newStream(to peer: PeerID, protocols: [String]) async throws -> P2PStream {
        try await newStream(on: connection(to: peer), protocols: protocols)
    }

    public func newStream(on connection: Connection, protocols: [String]) async throws -> P2PStream {
        guard !protocols.isEmpty else { throw HostError.protocolNotSupported([]) }
        let stream = try await connection.session.openStream()
        let negotiated: (protocolID: String, leftover: [UInt8])
        do {
            negotiated = try await withWireTimeout(
                configuration.streamNegotiationTimeout, operation: "stream negotiation", onTimeout: { stream.reset() }
            ) { [limits = configuration.streamNegotiationLimits] in
                try await StreamNegotiation.initiate(on: stream, proposing: protocols, limits: limits)
            }
        } catch MultistreamError.noProtocolAgreed {
            stream.reset()
            throw HostError.protocolNotSupported(protocols)
        } catch {
            stream.reset()
            throw error
        }
        return makeStream(stream, negotiated: negotiated, on: connection)
    }

    /// An existing connection to `peer`, or a new one to its last known address.
    public func connection(to peer: PeerID) async throws -> Connection {
        if let id = manager.connections(to: peer).first, let connection = connections[id] { return connection }
        guard let address = addressBook[peer] ?? peers[peer]?.listenAddrs.first else { throw HostError.notConnected(peer) }
        return try await connect(to: address.withPeerID(peer))
    }

    /// Closes every connection to `peer` (a protocol found it misbehaving); its streams fail.
    public func disconnect(_ peer: PeerID) async {
        for id in manager.connections(to: peer) {
            await connections[id]?.close()
        }
    }

    public var connectedPeers: [PeerID] {
        Array(Set(connections.values.map(\.remotePeer))).sorted { $0.base58 < $1.base58 }
    }

    public var connectionCount: Int { connections.count }

    /// Inbound connections still in their handshake.
    public var pendingHandshakeCount: Int { manager.pendingInbound }

    // MARK: Identify

    func identifyMessage(observed: Multiaddr?) -> IdentifyMessage {
        IdentifyMessage(
            protocolVersion: configuration.protocolVersion,
            agentVersion: configuration.agentVersion,
            publicKey: Libp2pPublicKey.encode(identity.privateKey.publicKey),
            listenAddrs: listenAddresses.map(\.bytes),
            observedAddr: observed?.bytes,
            protocols: registry.protocols
        )
    }

    /// Asks `peer` who it is and remembers the answer.
    @discardableResult
    public func identify(_ peer: PeerID) async throws -> PeerInfo {
        try await identify(on: connection(to: peer))
    }

    private func identify(on connection: Connection) async throws -> PeerInfo {
        let stream = try await newStream(on: connection, protocols: [ProtocolIDs.identify])
        let bytes: [UInt8]?
        do {
            bytes = try await withWireTimeout(
                configuration.streamNegotiationTimeout, operation: "identify", onTimeout: { stream.stream.reset() }
            ) {
                try await stream.readLengthPrefixed(maxLength: IdentifyMessage.maxEncodedLength)
            }
            try? await stream.closeWrite()
        } catch {
            await stream.reset()
            throw error
        }
        guard let bytes else {
            await stream.reset()
            throw IdentifyError.emptyResponse
        }
        let info = try PeerInfo(message: IdentifyMessage(decoding: bytes), from: connection.remotePeer)
        await stream.release()
        if announced.contains(connection.remotePeer) {
            peers[connection.remotePeer] = info
            peerEventHub.emit(.identified(info))
        }
        return info
    }

    /// What `peer` last told us through identify (or push), if connected.
    public func peerInfo(_ peer: PeerID) -> PeerInfo? { peers[peer] }

    private func applyPush(_ message: IdentifyMessage, from peer: PeerID) {
        guard var info = peers[peer] else { return }
        info.merge(push: message)
        peers[peer] = info
        peerEventHub.emit(.identified(info))
    }

    private func pushIdentifyToAll() {
        guard !registry.protocols.isEmpty else { return }
        for connection in connections.values {
            let message = identifyMessage(observed: connection.remoteAddress).encoded()
            spawn {
                guard let stream = try? await self.newStream(on: connection, protocols: [ProtocolIDs.identifyPush]) else { return }
                do {
                    try await stream.writeLengthPrefixed(message)
                    try await stream.closeWrite()
                    await stream.release()
                } catch {
                    await stream.reset()
                }
            }
        }
    }

    // MARK: Ping

    /// `count` libp2p pings over one stream; one round-trip time each.
    public func ping(_ peer: PeerID, count: Int = 1, timeout: Duration = .seconds(10)) async throws -> [Duration] {
        let stream = try await newStream(to: peer, protocols: [ProtocolIDs.ping])
        do {
            let rtts = try await withWireTimeout(timeout, operation: "ping", onTimeout: { stream.stream.reset() }) {
                try await Self.ping(over: stream, count: count)
            }
            try await stream.closeWrite()
            await stream.release()
            return rtts
        } catch {
            await stream.reset()
            throw error
        }
    }

    private static func ping(over stream: P2PStream, count: Int) async throws -> [Duration] {
        var machine = PingMachine()
        var rtts: [Duration] = []
        for _ in 0..<max(1, count) {
            try await stream.write(try machine.send(now: .now))
            var done = false
            while !done {
                guard let chunk = try await stream.read() else { throw PingError.streamClosed }
                if case .roundTrip(let rtt) = try machine.receive(chunk.readableBytesView, now: .now) {
                    rtts.append(rtt)
                    done = true
                }
            }
        }
        return rtts
    }

    // MARK: Maintenance and shutdown

    private func startMaintenance() {
        maintaining = true
    }

    /// A child of `run()`, ended by the cancellation that ends the run.
    private nonisolated func maintenanceLoop() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: configuration.maintenanceInterval)
            guard !Task.isCancelled else { return }
            await maintain()
        }
    }

    private func maintain() {
        guard maintaining else { return }
        if let report = refusals.flush(now: .now) {
            logger.info("\(report)")
        }
        let due = manager.maintenance(now: .now)
        for id in due.closeIdle {
            guard let connection = connections[id] else { continue }
            logger.debug("closing idle connection", metadata: ["connection": "\(connection)"])
            spawn { await connection.close() }
        }
        for id in due.keepAlive {
            guard let connection = connections[id] else { continue }
            let logger = self.logger
            spawn {
                do {
                    _ = try await connection.session.ping(timeout: .seconds(10))
                } catch {
                    logger.debug("closing connection: keep-alive failed: \(error)", metadata: ["connection": "\(connection)"])
                    await connection.close()
                }
            }
        }
    }

    /// Stops listening, says go-away to and closes every connection, fails waiting dials,
    /// ends `run()` and releases the event loops if the host made them. A second call
    /// waits for the first to finish.
    public func shutdown() async {
        switch lifecycle {
        case .stopped:
            return
        case .stopping(var waiters):
            await withCheckedContinuation { waiters.append($0); lifecycle = .stopping(waiters: waiters) }
            return
        case .open:
            lifecycle = .stopping(waiters: [])
        }
        let toClose = manager.shutdown().compactMap { connections[$0] }
        let waiters = dialWaiters
        dialWaiters.removeAll()
        for waiter in waiters {
            manager.queuedDialAbandoned()
            waiter.resume(throwing: HostError.shutDown)
        }
        registry.removeAll()
        peerEventHub.finishAll()
        for listener in listeners { try? await listener.close() }
        listeners.removeAll()
        for connection in toClose { await connection.close() }
        // Closing the connections fails every stream read and write, so handlers normally end
        // at once; one stuck elsewhere is cancelled after a grace period (ending the job queue
        // makes `run()` cancel its children, and cancellation resets any stream a handler
        // waits on), so shutdown cannot hang on a handler.
        for channel in handshakes.values { channel.close(promise: nil) }
        handshakes.removeAll()
        let drained = await drainJobs(within: configuration.shutdownGrace)
        jobQueue.finish()
        if !drained, !(await drainJobs(within: .seconds(3))) {
            logger.warning("shutting down with \(inFlight) handlers ignoring cancellation")
        }
        if ownsGroup { try? await group.shutdownGracefully() }
        if case .stopping(let waiters) = lifecycle {
            for waiter in waiters { waiter.resume() }
        }
        lifecycle = .stopped
    }
}

/// Runs `host` for the duration of `body`, then shuts it down and waits for its `run()`.
/// `body` runs in the caller's isolation, so it may use the caller's state.
public func withRunningHost<T>(
    _ host: P2PHost, isolation: isolated (any Actor)? = #isolation, _ body: (P2PHost) async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: Void.self, isolation: isolation) { group in
        group.addTask { try await host.run() }
        let result: T
        do {
            result = try await body(host)
        } catch {
            await host.shutdown()
            throw error
        }
        await host.shutdown()
        try await group.waitForAll()
        return result
    }
}
