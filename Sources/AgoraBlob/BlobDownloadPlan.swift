import AgoraWire
import Crypto

/// Which chunk each source fetches next, and what arrived: a pure machine. A chunk whose
/// bytes do not hash to the manifest's entry is refused and its source stops being asked
/// (a suspect until the whole blob verifies); a source that fails `maxFailures` times
/// (network errors) is dropped too.
public struct BlobDownloadPlan: Sendable {
    enum Chunk: Sendable, Equatable {
        case missing
        case inFlight(PeerID)
        case done
    }

    public let manifest: BlobManifest
    public let maxFailures: Int
    private var chunks: [Chunk]
    private var cursor = 0
    private var failures: [PeerID: Int] = [:]
    public private(set) var suspects: Set<PeerID> = []
    public private(set) var fetched: [PeerID: Int] = [:]

    /// - Parameter have: chunks already held (a resumed download), checked by the caller.
    public init(manifest: BlobManifest, have: Set<Int> = [], maxFailures: Int = 3) {
        self.manifest = manifest
        self.maxFailures = maxFailures
        chunks = (0..<manifest.chunkCount).map { have.contains($0) ? .done : .missing }
    }

    /// Whether chunk `index` is still to be fetched (missing or in flight).
    public func needs(_ index: Int) -> Bool { chunks[index] != .done }

    public var isComplete: Bool { chunks.allSatisfy { $0 == .done } }
    public var remaining: Int { chunks.filter { $0 != .done }.count }

    public func isUsable(_ peer: PeerID) -> Bool {
        !suspects.contains(peer) && failures[peer, default: 0] < maxFailures
    }

    /// What a source's stream does next.
    public enum Assignment: Sendable, Equatable {
        /// Fetch this chunk, now in flight for the source.
        case fetch(Int)
        /// Nothing is missing, but chunks are in flight and one may come back (refused by its
        /// hash, failed): a stream that stopped now could leave it with nobody to fetch it.
        case wait
        /// Nothing is left for this source.
        case done
    }

    /// The next chunk for `peer` to fetch, marked in flight.
    public mutating func next(for peer: PeerID) -> Assignment {
        guard isUsable(peer), !chunks.isEmpty else { return .done }
        var inFlight = false
        for step in 0..<chunks.count {
            let index = (cursor + step) % chunks.count
            switch chunks[index] {
            case .missing:
                chunks[index] = .inFlight(peer)
                cursor = index + 1
                return .fetch(index)
            case .inFlight: inFlight = true
            case .done: break
            }
        }
        return inFlight ? .wait : .done
    }

    /// True when `bytes` are chunk `index`; otherwise the chunk is requeued and `peer` suspected.
    public mutating func received(_ index: Int, _ bytes: [UInt8], from peer: PeerID) -> Bool {
        guard chunks.indices.contains(index), chunks[index] == .inFlight(peer) else { return false }
        guard bytes.count == manifest.range(of: index).count, Array(SHA256.hash(data: bytes)) == manifest.chunkHashes[index] else {
            chunks[index] = .missing
            suspects.insert(peer)
            return false
        }
        chunks[index] = .done
        fetched[peer, default: 0] += 1
        return true
    }

    /// The request for chunk `index` failed (timeout, reset, not found): requeue it.
    public mutating func failed(_ index: Int, from peer: PeerID) {
        if chunks.indices.contains(index), chunks[index] == .inFlight(peer) { chunks[index] = .missing }
        failures[peer, default: 0] += 1
    }
}
