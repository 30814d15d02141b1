import AgoraCore
import AgoraStore

/// Who is the same publisher: keys joined by key rotation, each mapped to the root of its chain.
///
/// A rotation counts only when the new key countersigned it, so nobody can adopt a key they do
/// not hold, and only the rotation that retires a key (`KeyRevocations`) links it. Rotations are applied in canonical order and the first one naming a key as its
/// successor wins; a rotation that would close a cycle is ignored. Both rules depend only on the
/// set of events, so every node computes the same principals.
public struct PrincipalMap: Sendable, Equatable {
    /// new key → the key that rotated to it.
    public private(set) var predecessor: [PublicKey: PublicKey] = [:]

    public init() {}

    public init(events: [Event]) {
        let revocations = KeyRevocations(events: events)
        for event in ViewFold.canonicalOrder(events) {
            guard case .keyRotated(let rotation)? = try? event.decodedBody(), revocations.adopts(rotation, in: event) else { continue }
            add(rotation, by: event.author)
        }
    }

    /// A rotation whose countersignature checks out.
    public static func isValid(_ rotation: KeyRotated, by author: PublicKey) -> Bool {
        rotation.newKey != author
            && rotation.newKey.isValidSignature(
                rotation.newKeySignature, for: KeyRotated.countersignedMessage(old: author, new: rotation.newKey))
    }

    private mutating func add(_ rotation: KeyRotated, by author: PublicKey) {
        guard Self.isValid(rotation, by: author), predecessor[rotation.newKey] == nil else { return }
        guard principal(of: author) != rotation.newKey else { return }
        predecessor[rotation.newKey] = author
    }

    /// The root of `key`'s rotation chain (the key itself when it was never rotated to).
    public func principal(of key: PublicKey) -> PublicKey {
        var current = key
        var steps = 0
        while let previous = predecessor[current], steps <= predecessor.count {
            current = previous
            steps += 1
        }
        return current
    }

    /// Every key of the principal that `key` belongs to, in key order.
    public func keys(of key: PublicKey) -> [PublicKey] {
        let root = principal(of: key)
        var members: Set<PublicKey> = [root]
        for new in predecessor.keys where principal(of: new) == root { members.insert(new) }
        return members.sorted()
    }
}
