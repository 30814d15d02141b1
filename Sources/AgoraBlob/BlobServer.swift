import AgoraStore
import AgoraWire
import Crypto
import Logging

/// Answers `/agora/blob/1.0.0` from the store. Manifests need the whole blob hashed once,
/// so the last few are remembered (a bounded cache).
public actor BlobServer {
    private let store: Store
    private let chunkSize: Int
    private var manifests: [BlobDigest: BlobManifest] = [:]
    private var manifestOrder: [BlobDigest] = []
    private let cacheLimit = 64

    public init(store: Store, chunkSize: Int = BlobProtocol.defaultChunkSize) {
        self.store = store
        self.chunkSize = chunkSize
    }

    /// The host's handler keeps the server alive for as long as it is registered.
    public func register(on host: P2PHost) async throws {
        try await host.handle(BlobProtocol.id) { stream in
            try await self.serve(stream)
        }
    }

    /// Answers requests until the client closes its side.
    public nonisolated func serve(_ stream: P2PStream) async throws {
        while let frame = try await stream.readLengthPrefixed(maxLength: BlobProtocol.maxRequestLength) {
            let response: BlobResponse
            do {
                response = try await answer(BlobRequest(decoding: frame))
            } catch is BlobError {
                response = .badRequest
            }
            try await stream.writeLengthPrefixed(response.encoded())
        }
    }

    public func answer(_ request: BlobRequest) throws -> BlobResponse {
        guard let manifest = try manifest(request.digest) else { return .notFound }
        switch request.kind {
        case .manifest:
            // A download asks each source for the manifest once: that is the archive's use.
            store.noteBlobUse(request.digest)
            return .manifest(manifest)
        case .chunk:
            guard request.index >= 0, request.index < manifest.chunkCount else { return .badRequest }
            let range = manifest.range(of: request.index)
            guard let bytes = try store.blobRange(request.digest, offset: range.lowerBound, length: range.count) else { return .notFound }
            return .chunk(bytes)
        }
    }

    private func manifest(_ digest: BlobDigest) throws -> BlobManifest? {
        if let known = manifests[digest] { return known }
        guard let size = try store.blobSize(digest) else { return nil }
        var hashes: [[UInt8]] = []
        var offset = 0
        while offset < size {
            guard let piece = try store.blobRange(digest, offset: offset, length: chunkSize) else { return nil }
            hashes.append(Array(SHA256.hash(data: piece)))
            offset += chunkSize
        }
        let manifest = try BlobManifest(size: size, chunkSize: chunkSize, chunkHashes: hashes)
        if manifestOrder.count >= cacheLimit { manifests[manifestOrder.removeFirst()] = nil }
        manifests[digest] = manifest
        manifestOrder.append(digest)
        return manifest
    }
}
