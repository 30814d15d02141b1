import AgoraCore

/// How far this node has replicated a peer's log: every event of that peer up to its local
/// sequence `localSeq` is in our store. Kept in `meta` under `sync/<peer>`.
public struct SyncPosition: Sendable, Hashable {
    /// The peer's identity as opaque bytes (the network layer's PeerID encoding).
    public let peer: [UInt8]
    public let localSeq: UInt64

    /// Nil for a peer key that is empty or longer than `Store.maxPeerKeyLength`.
    public init?(peer: [UInt8], localSeq: UInt64) {
        guard !peer.isEmpty, peer.count <= Store.maxPeerKeyLength else { return nil }
        self.peer = peer
        self.localSeq = localSeq
    }
}

/// A peer the node has met, with its addresses in the network layer's binary form, so a
/// restarted node can reconnect without being told where to start. Kept in `meta` under
/// `peer/<peer>`.
public struct KnownPeer: Sendable, Hashable {
    public static let maxAddresses = 8
    public static let maxAddressLength = 256
    public let peer: [UInt8]
    public let addresses: [[UInt8]]

    /// Nil for a peer key that is empty or too long; unusable addresses are dropped.
    public init?(peer: [UInt8], addresses: [[UInt8]]) {
        guard !peer.isEmpty, peer.count <= Store.maxPeerKeyLength else { return nil }
        self.peer = peer
        self.addresses = Array(addresses.filter { !$0.isEmpty && $0.count <= Self.maxAddressLength }.prefix(Self.maxAddresses))
    }
}

/// Node state that is neither log nor view: sync positions and known peers. It lives in the
/// `meta` database under prefixes of its own, so it needs no layout step, and positions can
/// be committed in the same transaction as the events they cover.
extension Store {
    static let syncPrefix = Array("sync/".utf8)
    static let peerPrefix = Array("peer/".utf8)
    /// Bounds the known-peer table.
    public static let maxKnownPeers = 1024
    public static let maxPeerKeyLength = 128

    func record(_ position: SyncPosition, in txn: WriteTransaction) throws {
        try txn.put(databases.meta, key: Self.syncPrefix + position.peer, value: BigEndian.bytes(position.localSeq))
    }

    /// Where replication of `peer` stands; 0 when it never started.
    public func syncPosition(of peer: [UInt8]) throws -> UInt64 {
        try read { txn in try txn.get(databases.meta, key: Self.syncPrefix + peer).flatMap { BigEndian.uint64($0) } ?? 0 }
    }

    /// Every recorded sync position.
    public func syncPositions() throws -> [SyncPosition] {
        try read { txn in
            var out: [SyncPosition] = []
            try txn.forEach(databases.meta, prefix: Self.syncPrefix) { entry in
                guard entry.value.count == 8, let seq = BigEndian.uint64(entry.value),
                      let position = SyncPosition(peer: Array(entry.key.dropFirst(Self.syncPrefix.count)), localSeq: seq)
                else { throw StoreError.corrupt("sync position of \(entry.value.count) bytes") }
                out.append(position)
                return out.count < Self.maxKnownPeers
            }
            return out
        }
    }

    /// Records (or updates) a peer; false when the table already holds `maxKnownPeers` others,
    /// so peers arriving with fresh identities cannot grow the store without bound.
    @discardableResult
    public func remember(_ peer: KnownPeer) throws -> Bool {
        var value: [UInt8] = []
        for address in peer.addresses {
            value.append(UInt8(address.count >> 8))
            value.append(UInt8(address.count & 0xff))
            value += address
        }
        let key = Self.peerPrefix + peer.peer
        return try environment.write { txn in
            if try txn.get(databases.meta, key: key) == nil {
                var count = 0
                try txn.forEach(databases.meta, prefix: Self.peerPrefix) { _ in
                    count += 1
                    return count < Self.maxKnownPeers
                }
                guard count < Self.maxKnownPeers else { return false }
            }
            try txn.put(databases.meta, key: key, value: value)
            return true
        }
    }

    /// Peers met before, at most `maxKnownPeers`; an entry that does not decode is skipped.
    public func knownPeers() throws -> [KnownPeer] {
        try read { txn in
            var out: [KnownPeer] = []
            try txn.forEach(databases.meta, prefix: Self.peerPrefix) { entry in
                if let addresses = Self.decodeAddresses(Array(entry.value)),
                   let known = KnownPeer(peer: Array(entry.key.dropFirst(Self.peerPrefix.count)), addresses: addresses) {
                    out.append(known)
                }
                return out.count < Self.maxKnownPeers
            }
            return out
        }
    }

    static func decodeAddresses(_ bytes: [UInt8]) -> [[UInt8]]? {
        var out: [[UInt8]] = []
        var index = 0
        while index < bytes.count {
            guard bytes.count - index >= 2 else { return nil }
            let length = Int(bytes[index]) << 8 | Int(bytes[index + 1])
            index += 2
            guard length <= bytes.count - index, out.count < KnownPeer.maxAddresses else { return nil }
            out.append(Array(bytes[index..<(index + length)]))
            index += length
        }
        return out
    }
}
