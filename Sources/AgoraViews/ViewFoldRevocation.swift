import AgoraCore
import AgoraStore

/// What a key rotation takes away from the old key: the rule every fold applies before it
/// looks at an event.
///
/// A key is *retired* at seq r, the lowest seq of a valid (countersigned) rotation in its own
/// feed. Afterwards means later in that feed: an event of the key with seq > r counts for
/// nothing (releases, yanks, transfers, further rotations), and at seq r only rotations
/// count. Events below r stay: they were signed while the key was current, and nothing can
/// tell a thief's event before the rotation from the owner's. The rule reads only the
/// author's own feed positions, never arrival order or clocks, so any set of events gives
/// the same answer on every node.
///
/// Two valid rotations at r naming different keys mean the retired key's holder and someone
/// else raced to rotate it: the key is retired and neither successor is adopted (the
/// principal fails closed rather than letting a possible thief inherit it).
public struct KeyRevocations: Sendable, Equatable {
    /// Retired key → (seq of its first valid rotation, the successors named at that seq).
    public private(set) var retired: [PublicKey: (seq: UInt64, successors: Set<PublicKey>)] = [:]

    public init() {}

    /// Reads the rotations among `events`; other events are ignored.
    public init(events: some Sequence<Event>) {
        for event in events where event.kind == .keyRotated {
            guard case .keyRotated(let rotation)? = try? event.decodedBody(),
                  PrincipalMap.isValid(rotation, by: event.author) else { continue }
            if let current = retired[event.author], current.seq <= event.seq {
                if current.seq == event.seq { retired[event.author]?.successors.insert(rotation.newKey) }
            } else {
                retired[event.author] = (event.seq, [rotation.newKey])
            }
        }
    }

    /// Whether the views may use `event` at all.
    public func admits(_ event: Event) -> Bool {
        guard let point = retired[event.author], event.seq >= point.seq else { return true }
        return event.seq == point.seq && event.kind == .keyRotated
    }

    /// Whether `rotation`, in `event`, links its new key to the author's principal.
    public func adopts(_ rotation: KeyRotated, in event: Event) -> Bool {
        guard let point = retired[event.author] else { return true }
        return point.seq == event.seq && point.successors == [rotation.newKey]
    }

    public static func == (lhs: KeyRevocations, rhs: KeyRevocations) -> Bool {
        lhs.retired.count == rhs.retired.count
            && lhs.retired.allSatisfy { key, point in rhs.retired[key].map { $0 == point } ?? false }
    }
}
