import AgoraCore
import Testing
@testable import AgoraWire

@Suite struct ConnectionManagerStateTests {
    static func peer(_ n: UInt8) throws -> PeerID {
        PeerID(identity: try Identity(seed: [n] + Array(repeating: 0, count: 31)))
    }

    let start = ContinuousClock.now

    @Test func dialsReuseTheConnectionToAPeer() throws {
        var state = ConnectionManagerState(limits: ConnectionLimits())
        let alice = try Self.peer(1)
        #expect(state.dialRequested(peer: alice) == .start)
        let id = try state.established(peer: alice, direction: .outbound, now: start).get()
        #expect(state.dialFinished() == false)
        #expect(state.dialRequested(peer: alice) == .reuse(id))
        #expect(state.pendingDials == 0)
    }

    @Test func dialsBeyondTheLimitQueueThenAreRefused() throws {
        var state = ConnectionManagerState(limits: ConnectionLimits(maxPendingDials: 2, maxQueuedDials: 1))
        #expect(state.dialRequested(peer: nil) == .start)
        #expect(state.dialRequested(peer: nil) == .start)
        #expect(state.dialRequested(peer: nil) == .enqueue)
        #expect(state.dialRequested(peer: nil) == .refuse(.dialQueueFull(limit: 1)))
        #expect(state.dialFinished() == true, "the slot passes to the queued dial")
        #expect(state.pendingDials == 2)
        #expect(state.queuedDials == 0)
        #expect(state.dialFinished() == false)
        #expect(state.dialFinished() == false)
        #expect(state.pendingDials == 0)
    }

    @Test func inboundAdmissionIsBoundedByPendingAndTotal() throws {
        var state = ConnectionManagerState(limits: ConnectionLimits(maxConnections: 2, maxPendingInbound: 1))
        #expect(state.inboundArrived() == nil)
        #expect(state.inboundArrived() == .tooManyPendingInbound(limit: 1))
        _ = try state.established(peer: Self.peer(1), direction: .inbound, now: start).get()
        #expect(state.pendingInbound == 0)
        #expect(state.inboundArrived() == nil)
        _ = try state.established(peer: Self.peer(2), direction: .inbound, now: start).get()
        #expect(state.inboundArrived() == .tooManyConnections(limit: 2))
    }

    @Test func perPeerLimitRefusesExtraConnections() throws {
        var state = ConnectionManagerState(limits: ConnectionLimits(maxConnectionsPerPeer: 1))
        let alice = try Self.peer(1)
        _ = try state.established(peer: alice, direction: .outbound, now: start).get()
        #expect(state.established(peer: alice, direction: .inbound, now: start) == .failure(.tooManyForPeer(alice, limit: 1)))
        #expect(state.connectionCount == 1)
    }

    @Test func idleConnectionsCloseAndBusyOnesGetKeepAlives() throws {
        var state = ConnectionManagerState(
            limits: ConnectionLimits(idleTimeout: .seconds(60), keepAliveInterval: .seconds(15))
        )
        let idle = try state.established(peer: Self.peer(1), direction: .outbound, now: start).get()
        let busy = try state.established(peer: Self.peer(2), direction: .inbound, now: start).get()
        state.streamOpened(on: busy, now: start)
        #expect(state.maintenance(now: start + .seconds(10)) == .init())
        #expect(state.maintenance(now: start + .seconds(20)) == .init(closeIdle: [], keepAlive: [idle, busy]))
        #expect(state.maintenance(now: start + .seconds(61)) == .init(closeIdle: [idle], keepAlive: [busy]))
        state.streamClosed(on: busy, now: start + .seconds(70))
        #expect(state.openStreams(on: busy) == 0)
        #expect(state.maintenance(now: start + .seconds(100)).closeIdle == [idle])
        #expect(state.maintenance(now: start + .seconds(131)).closeIdle == [idle, busy])
    }

    @Test func closedConnectionsAreForgottenAndShutdownRefusesEverything() throws {
        var state = ConnectionManagerState(limits: ConnectionLimits())
        let alice = try Self.peer(1)
        let first = try state.established(peer: alice, direction: .outbound, now: start).get()
        let second = try state.established(peer: try Self.peer(2), direction: .inbound, now: start).get()
        state.closed(first)
        #expect(state.connections(to: alice).isEmpty)
        #expect(state.dialRequested(peer: alice) == .start)
        #expect(state.shutdown() == [second])
        #expect(state.inboundArrived() == .shuttingDown)
        #expect(state.dialRequested(peer: alice) == .refuse(.shuttingDown))
    }
}
