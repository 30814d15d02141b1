import AgoraWire

/// Where peers named in kad answers can be dialled: a bounded map (peers, and addresses per
/// peer) so answers full of made-up peers cannot grow it; the oldest peer is forgotten first.
struct AddressBook: Sendable {
    private var entries: [PeerID: [Multiaddr]] = [:]
    private var order: [PeerID] = []
    let maxPeers: Int
    let maxAddressesPerPeer: Int

    init(maxPeers: Int = 4096, maxAddressesPerPeer: Int = 8) {
        self.maxPeers = maxPeers
        self.maxAddressesPerPeer = maxAddressesPerPeer
    }

    /// Remembers dialable TCP addresses of `peer` (without any /p2p suffix), newest first.
    mutating func add(_ addresses: [Multiaddr], for peer: PeerID) {
        let usable = addresses.map(\.withoutPeerID).filter { $0.tcpHostAndPort != nil }
        guard !usable.isEmpty else { return }
        if entries[peer] == nil {
            if order.count >= maxPeers { entries[order.removeFirst()] = nil }
            order.append(peer)
        }
        var merged = usable
        for old in entries[peer] ?? [] where !merged.contains(old) { merged.append(old) }
        entries[peer] = Array(merged.prefix(maxAddressesPerPeer))
    }

    func addresses(of peer: PeerID) -> [Multiaddr] { entries[peer] ?? [] }

    var count: Int { entries.count }
}
