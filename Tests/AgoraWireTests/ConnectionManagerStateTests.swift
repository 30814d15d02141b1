import AgoraCore
import AgoraTestSupport
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
        let id = try state.established(peer: alice, direction: .outbound, now: start).get().id
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

    /// Admits a handshake from `address` and returns its ID, failing the test otherwise.
    static func admit(_ state: inout ConnectionManagerState, from address: String, at now: ContinuousClock.Instant) throws -> PendingID {
        guard case .admit(let id, evicting: nil) = state.inboundArrived(from: address, now: now) else {
            throw ConnectionRefusal.shuttingDown
        }
        return id
    }

    @Test func inboundAdmissionIsBoundedPerAddress() throws {
        var state = ConnectionManagerState(limits: ConnectionLimits(maxConnectionsPerAddress: 2, maxPendingInboundPerAddress: 2))
        let first = try Self.admit(&state, from: "10.0.0.1", at: start)
        let second = try Self.admit(&state, from: "10.0.0.1", at: start)
        #expect(state.inboundArrived(from: "10.0.0.1", now: start) == .refuse(.tooManyPendingFromAddress(limit: 2)))
        _ = try Self.admit(&state, from: "10.0.0.2", at: start)
        state.handshakeEnded(first)
        _ = try state.established(peer: Self.peer(1), direction: .inbound, address: "10.0.0.1", now: start).get()
        let third = try Self.admit(&state, from: "10.0.0.1", at: start)
        #expect(state.pendingInbound == 3)
        state.handshakeEnded(second)
        state.handshakeEnded(third)
        _ = try state.established(peer: Self.peer(2), direction: .inbound, address: "10.0.0.1", now: start).get()
        #expect(state.inboundArrived(from: "10.0.0.1", now: start) == .refuse(.tooManyFromAddress(limit: 2)))
        #expect(
            try state.established(peer: Self.peer(3), direction: .inbound, address: "10.0.0.1", now: start)
                == .failure(.tooManyFromAddress(limit: 2))
        )
    }

    @Test func fullHandshakeTableEvictsTheOldestOfTheBusiestAddress() throws {
        var state = ConnectionManagerState(limits: ConnectionLimits(maxPendingInbound: 4, maxPendingInboundPerAddress: 3))
        let attackerFirst = try Self.admit(&state, from: "10.0.0.66", at: start)
        _ = try Self.admit(&state, from: "10.0.0.66", at: start + .seconds(1))
        _ = try Self.admit(&state, from: "10.0.0.66", at: start + .seconds(2))
        _ = try Self.admit(&state, from: "10.0.0.7", at: start + .seconds(3))
        guard case .admit(let newcomer, evicting: let evicted) = state.inboundArrived(from: "10.0.0.1", now: start + .seconds(4)) else {
            Issue.record("a fresh address must get a handshake slot")
            return
        }
        #expect(evicted == attackerFirst)
        #expect(state.pendingInbound == 4)
        // An address may only evict handshakes of an address holding more than it does.
        state.handshakeEnded(newcomer)
        _ = try Self.admit(&state, from: "10.0.0.1", at: start + .seconds(5))
        #expect(state.inboundArrived(from: "10.0.0.66", now: start + .seconds(6)) == .refuse(.tooManyPendingInbound(limit: 4)))
    }

    @Test func inboundCannotTakeTheSlotsReservedForDials() throws {
        var state = ConnectionManagerState(limits: ConnectionLimits(maxConnections: 3, reservedForOutbound: 1))
        let busy = try state.established(peer: Self.peer(1), direction: .inbound, address: "a", now: start).get().id
        state.streamOpened(on: busy, now: start)
        let busy2 = try state.established(peer: Self.peer(2), direction: .inbound, address: "b", now: start).get().id
        state.streamOpened(on: busy2, now: start)
        #expect(try state.established(peer: Self.peer(3), direction: .inbound, address: "c", now: start) == .failure(.tooManyConnections(limit: 2)))
        #expect(try state.established(peer: Self.peer(4), direction: .outbound, now: start).get().evicting == [])
        #expect(state.connectionCount == 3)
    }

    @Test func fullTableEvictsAnIdleInboundConnectionOfTheBusiestAddress() throws {
        var state = ConnectionManagerState(limits: ConnectionLimits(maxConnections: 4, reservedForOutbound: 0))
        let dialled = try state.established(peer: Self.peer(1), direction: .outbound, now: start).get().id
        let attackerOld = try state.established(peer: Self.peer(2), direction: .inbound, address: "x", now: start).get().id
        let attackerNew = try state.established(peer: Self.peer(3), direction: .inbound, address: "x", now: start + .seconds(1)).get().id
        let friend = try state.established(peer: Self.peer(4), direction: .inbound, address: "y", now: start).get().id
        let admitted = try state.established(peer: Self.peer(5), direction: .inbound, address: "z", now: start + .seconds(2)).get()
        #expect(admitted.evicting == [attackerOld])
        state.streamOpened(on: attackerNew, now: start + .seconds(3))
        state.streamOpened(on: friend, now: start + .seconds(3))
        state.streamOpened(on: admitted.id, now: start + .seconds(3))
        // Only the connection we dialled is idle now, and it is never evicted.
        #expect(try state.established(peer: Self.peer(6), direction: .inbound, address: "w", now: start) == .failure(.tooManyConnections(limit: 4)))
        #expect(state.peer(of: dialled) == (try Self.peer(1)))
    }

    @Test func aSecondConnectionOfOneIdentityReplacesAnIdleOne() throws {
        var state = ConnectionManagerState(limits: ConnectionLimits(maxConnectionsPerPeer: 1))
        let alice = try Self.peer(1)
        let first = try state.established(peer: alice, direction: .inbound, address: "a", now: start).get().id
        let second = try state.established(peer: alice, direction: .inbound, address: "a", now: start).get()
        #expect(second.evicting == [first])
        #expect(state.connections(to: alice) == [second.id])
        state.streamOpened(on: second.id, now: start)
        #expect(state.established(peer: alice, direction: .outbound, now: start) == .failure(.tooManyForPeer(alice, limit: 1)))
        #expect(state.connectionCount == 1)
    }

    /// Whatever order connections arrive, upgrade, open streams and close in, the counts
    /// never exceed a limit and every eviction names a live inbound idle connection.
    @Test(arguments: 0..<20) func randomEventSequencesRespectEveryLimit(seed: UInt64) throws {
        let limits = ConnectionLimits(
            maxConnections: 12, reservedForOutbound: 3, maxConnectionsPerPeer: 2, maxConnectionsPerAddress: 3,
            maxPendingInbound: 6, maxPendingInboundPerAddress: 2
        )
        var state = ConnectionManagerState(limits: limits)
        var random = SeededGenerator(seed: seed)
        var pending: [(PendingID, String)] = []
        var live: [ConnectionID: (direction: ConnectionDirection, address: String?, streams: Int)] = [:]
        var now = start
        for _ in 0..<2_000 {
            now += .milliseconds(Int64(random.next(below: 100)))
            let address = "10.0.0.\(random.next(below: 5))"
            switch random.next(below: 6) {
            case 0:
                if case .admit(let id, let evicting) = state.inboundArrived(from: address, now: now) {
                    if let evicting { pending.removeAll { $0.0 == evicting } }
                    pending.append((id, address))
                }
            case 1 where !pending.isEmpty:
                let (id, address) = pending.remove(at: random.next(below: pending.count))
                state.handshakeEnded(id)
                if random.next(below: 2) == 0,
                    case .success(let admitted) = state.established(
                        peer: try Self.peer(UInt8(random.next(below: 8))), direction: .inbound, address: address, now: now
                    )
                {
                    for evicted in admitted.evicting {
                        #expect(live[evicted]?.streams == 0)
                        live[evicted] = nil
                    }
                    live[admitted.id] = (.inbound, address, 0)
                }
            case 2:
                if case .success(let admitted) = state.established(
                    peer: try Self.peer(UInt8(random.next(below: 8))), direction: .outbound, now: now
                ) {
                    for evicted in admitted.evicting {
                        #expect(live[evicted]?.streams == 0)
                        live[evicted] = nil
                    }
                    live[admitted.id] = (.outbound, nil, 0)
                }
            case 3 where !live.isEmpty:
                let id = live.keys.sorted { $0.rawValue < $1.rawValue }[random.next(below: live.count)]
                state.streamOpened(on: id, now: now)
                live[id]?.streams += 1
            case 4 where !live.isEmpty:
                let id = live.keys.sorted { $0.rawValue < $1.rawValue }[random.next(below: live.count)]
                if live[id]!.streams > 0 {
                    state.streamClosed(on: id, now: now)
                    live[id]?.streams -= 1
                }
            case 5 where !live.isEmpty:
                let id = live.keys.sorted { $0.rawValue < $1.rawValue }[random.next(below: live.count)]
                state.closed(id)
                live[id] = nil
            default:
                break
            }
            let inbound = live.values.filter { $0.direction == .inbound }
            #expect(state.connectionCount == live.count)
            #expect(live.count <= limits.maxConnections)
            #expect(inbound.count <= limits.maxInbound)
            #expect(state.pendingInbound == pending.count)
            #expect(pending.count <= limits.maxPendingInbound)
            for group in Set(inbound.compactMap(\.address)) {
                #expect(inbound.filter { $0.address == group }.count <= limits.maxConnectionsPerAddress)
            }
            for group in Set(pending.map(\.1)) {
                #expect(pending.filter { $0.1 == group }.count <= limits.maxPendingInboundPerAddress)
            }
        }
    }

    @Test func idleConnectionsCloseAndBusyOnesGetKeepAlives() throws {
        var state = ConnectionManagerState(
            limits: ConnectionLimits(idleTimeout: .seconds(60), keepAliveInterval: .seconds(15))
        )
        let idle = try state.established(peer: Self.peer(1), direction: .outbound, now: start).get().id
        let busy = try state.established(peer: Self.peer(2), direction: .inbound, address: "a", now: start).get().id
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
        let first = try state.established(peer: alice, direction: .outbound, now: start).get().id
        let second = try state.established(peer: try Self.peer(2), direction: .inbound, address: "a", now: start).get().id
        state.closed(first)
        #expect(state.connections(to: alice).isEmpty)
        #expect(state.dialRequested(peer: alice) == .start)
        #expect(state.shutdown() == [second])
        #expect(state.inboundArrived(from: "a", now: start) == .refuse(.shuttingDown))
        #expect(state.dialRequested(peer: alice) == .refuse(.shuttingDown))
    }
}

extension SeededGenerator {
    /// A value in `0..<bound`.
    mutating func next(below bound: Int) -> Int {
        Int(next() % UInt64(max(1, bound)))
    }
}
