import AgoraStore
import AgoraWire
import Foundation

/// `/agora/blob/1.0.0`: on one stream the client sends requests (a blob's manifest, or one
/// chunk of it by index) and the server answers each in order; every message is a
/// length-prefixed protobuf of at most `maxFrameLength` bytes.
public enum BlobProtocol {
    public static let id = "/agora/blob/1.0.0"
    public static let defaultChunkSize = 256 << 10
    /// Chunk sizes a manifest may declare: the upper bound keeps chunk frames bounded, the
    /// lower one keeps manifests of the largest blobs small.
    public static let chunkSizes = (64 << 10)...(1 << 20)
    public static let maxBlobSize = 512 << 20
    public static let maxFrameLength = (1 << 20) + 1024
    public static let maxRequestLength = 1024
}

public struct BlobRequest: Sendable, Equatable {
    public enum Kind: UInt64, Sendable {
        case manifest = 0
        case chunk = 1
    }

    public var digest: BlobDigest
    public var kind: Kind
    public var index: Int

    public init(digest: BlobDigest, kind: Kind, index: Int = 0) {
        self.digest = digest
        self.kind = kind
        self.index = index
    }

    public func encoded() -> [UInt8] {
        var wire = Agora_Blob_BlobRequest()
        wire.digest = Data(digest.bytes)
        wire.kind = kind == .manifest ? .manifest : .chunk
        wire.index = UInt64(index)
        return (try? BoundedProtobuf.encode(wire)) ?? []
    }

    public init(decoding bytes: [UInt8]) throws(BlobError) {
        let wire: Agora_Blob_BlobRequest
        do {
            wire = try BoundedProtobuf.decode(Agora_Blob_BlobRequest.self, from: bytes, maxLength: BlobProtocol.maxRequestLength)
        } catch {
            throw .malformed("request: \(error)")
        }
        guard let digest = BlobDigest(bytes: [UInt8](wire.digest)) else { throw .malformed("request without a digest") }
        guard let index = Int(exactly: wire.index) else { throw .malformed("chunk index out of range") }
        switch wire.kind {
        case .manifest: self.init(digest: digest, kind: .manifest, index: index)
        case .chunk: self.init(digest: digest, kind: .chunk, index: index)
        case .UNRECOGNIZED: throw .malformed("unknown request kind")
        }
    }
}

/// A blob's size, chunk size and the SHA-256 of each chunk, so each chunk can be checked on
/// arrival. The manifest itself is only trusted once the whole blob hashes to its digest.
public struct BlobManifest: Sendable, Hashable {
    public let size: Int
    public let chunkSize: Int
    public let chunkHashes: [[UInt8]]

    public init(size: Int, chunkSize: Int, chunkHashes: [[UInt8]]) throws(BlobError) {
        guard size >= 0, size <= BlobProtocol.maxBlobSize else { throw .malformed("blob size \(size) out of range") }
        guard BlobProtocol.chunkSizes.contains(chunkSize) else { throw .malformed("chunk size \(chunkSize) out of range") }
        let expected = size == 0 ? 0 : (size - 1) / chunkSize + 1
        guard chunkHashes.count == expected, chunkHashes.allSatisfy({ $0.count == 32 }) else {
            throw .malformed("manifest lists \(chunkHashes.count) chunk hashes, expected \(expected)")
        }
        self.size = size
        self.chunkSize = chunkSize
        self.chunkHashes = chunkHashes
    }

    public var chunkCount: Int { chunkHashes.count }

    public func range(of index: Int) -> Range<Int> {
        let start = index * chunkSize
        return start..<min(start + chunkSize, size)
    }
}

public enum BlobResponse: Sendable, Equatable {
    case manifest(BlobManifest)
    case chunk([UInt8])
    case notFound
    case badRequest

    public func encoded() -> [UInt8] {
        var wire = Agora_Blob_BlobResponse()
        switch self {
        case .manifest(let manifest):
            wire.size = UInt64(manifest.size)
            wire.chunkSize = UInt64(manifest.chunkSize)
            wire.chunkHashes = Data(manifest.chunkHashes.joined())
        case .chunk(let bytes):
            wire.data = Data(bytes)
        case .notFound:
            wire.status = .notFound
        case .badRequest:
            wire.status = .badRequest
        }
        return (try? BoundedProtobuf.encode(wire)) ?? []
    }

    public init(decoding bytes: [UInt8], expecting kind: BlobRequest.Kind) throws(BlobError) {
        let wire: Agora_Blob_BlobResponse
        do {
            wire = try BoundedProtobuf.decode(Agora_Blob_BlobResponse.self, from: bytes, maxLength: BlobProtocol.maxFrameLength)
        } catch {
            throw .malformed("response: \(error)")
        }
        switch (wire.status, kind) {
        case (.notFound, _): self = .notFound
        case (.badRequest, _): self = .badRequest
        case (.ok, .chunk):
            guard wire.hasData else { throw .malformed("chunk response without data") }
            self = .chunk([UInt8](wire.data))
        case (.ok, .manifest):
            let hashes = [UInt8](wire.chunkHashes)
            guard hashes.count % 32 == 0 else { throw .malformed("chunk hashes not a multiple of 32 bytes") }
            guard let size = Int(exactly: wire.size), let chunkSize = Int(exactly: wire.chunkSize) else {
                throw .malformed("manifest sizes out of range")
            }
            let split = stride(from: 0, to: hashes.count, by: 32).map { Array(hashes[$0..<($0 + 32)]) }
            self = .manifest(try BlobManifest(size: size, chunkSize: chunkSize, chunkHashes: split))
        case (.UNRECOGNIZED(let status), _):
            throw .malformed("unknown status \(status)")
        }
    }
}

public enum BlobError: Error, Equatable, Sendable, CustomStringConvertible {
    case malformed(String)
    case notFound(BlobDigest)
    case noSources(BlobDigest, String)
    /// Every source that offered the blob sent bytes that contradict its digest.
    case corrupt(BlobDigest, String)

    public var description: String {
        switch self {
        case .malformed(let why): return "blob protocol: \(why)"
        case .notFound(let digest): return "blob \(digest) not found"
        case .noSources(let digest, let why): return "blob \(digest): no peer could supply it (\(why))"
        case .corrupt(let digest, let why): return "blob \(digest): every source sent corrupt data (\(why))"
        }
    }
}
