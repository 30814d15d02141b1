import AgoraWire

/// How a kad server answers one request, given its state: which peers it names as closer,
/// which providers and records it returns, what it stores. No I/O besides the record store.
struct KadResponder {
    let local: PeerID
    let table: RoutingTable<PeerID>
    var providers: ProviderStore<[UInt8], PeerID>
    var records: DHTRecordStore?
    var addresses: AddressBook
    let bucketSize: Int

    /// The answer to send, or nil for requests that get none (ADD_PROVIDER). Throws for a
    /// request to refuse (the shell resets the stream).
    mutating func respond(to request: KadMessage, from peer: PeerID, now: Duration) throws -> KadMessage? {
        switch request.type {
        case .ping:
            return KadMessage(type: .ping)
        case .findNode:
            return KadMessage(type: .findNode, key: request.key, closerPeers: closer(to: request.key, excluding: peer))
        case .getProviders:
            let found = providers.providers(for: request.key, now: now).prefix(bucketSize).map(describe)
            return KadMessage(type: .getProviders, key: request.key, closerPeers: closer(to: request.key, excluding: peer), providerPeers: Array(found))
        case .addProvider:
            // Only the sender may announce itself: libp2p ignores provider entries naming others.
            for entry in request.providerPeers where entry.id == peer.bytes {
                addresses.add(entry.addresses.compactMap { try? Multiaddr(bytes: $0) }, for: peer)
                _ = providers.add(peer, for: request.key, now: now)
            }
            return nil
        case .getValue:
            let value = try records?.get(key: request.key)
            return KadMessage(
                type: .getValue, key: request.key, record: value.map { .init(key: request.key, value: $0) },
                closerPeers: closer(to: request.key, excluding: peer)
            )
        case .putValue:
            guard let record = request.record, record.key == request.key else { throw KadRequestError.rejected("PUT_VALUE without a record for its key") }
            guard var store = records else { throw KadRequestError.rejected("this node stores no records") }
            let outcome = try store.put(key: record.key, value: record.value, from: peer.bytes)
            records = store
            switch outcome {
            case .stored, .unchanged: return request
            case .rejected(let reason): throw KadRequestError.rejected(reason.description)
            case .storeFull: throw KadRequestError.rejected("record store full")
            case .peerOverQuota: throw KadRequestError.rejected("too many records from this peer")
            }
        }
    }

    private func closer(to key: [UInt8], excluding requester: PeerID) -> [KadMessage.Peer] {
        table.closest(to: DHTKey(hashing: key), count: bucketSize + 1)
            .lazy.filter { $0.peer != requester && $0.peer != local }
            .prefix(bucketSize).map { describe($0.peer) }
    }

    private func describe(_ peer: PeerID) -> KadMessage.Peer {
        KadMessage.Peer(id: peer.bytes, addresses: addresses.addresses(of: peer).map(\.bytes))
    }
}
