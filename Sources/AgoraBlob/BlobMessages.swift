import AgoraStore
import AgoraWire

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
        var writer = ProtobufWriter()
        writer.writeBytes(field: 1, digest.bytes)
        writer.writeVarint(field: 2, kind.rawValue)
        writer.writeVarint(field: 3, UInt64(index))
        return writer.bytes
    }

    public init(decoding bytes: [UInt8]) throws(BlobError) {
        var digest: BlobDigest?
        var kind = Kind.manifest
        var index = 0
        do {
            var reader = try ProtobufReader(bytes, limits: .init(maxMessageLength: 1024, maxFieldLength: 64))
            while let field = try reader.next() {
                switch field.number {
                case 1: digest = BlobDigest(bytes: try field.bytes())
                case 2:
                    guard let value = Kind(rawValue: try field.uint64()) else { throw BlobError.malformed("unknown request kind") }
                    kind = value
                case 3: index = try field.int()
                default: continue
                }
            }
        } catch let error as BlobError {
            throw error
        } catch {
            throw .malformed("request: \(error)")
        }
        guard let digest else { throw .malformed("request without a digest") }
        self.init(digest: digest, kind: kind, index: index)
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
        var writer = ProtobufWriter()
        switch self {
        case .manifest(let manifest):
            writer.writeVarint(field: 1, 0)
            writer.writeVarint(field: 2, UInt64(manifest.size))
            writer.writeVarint(field: 3, UInt64(manifest.chunkSize))
            writer.writeBytes(field: 4, manifest.chunkHashes.flatMap { $0 })
        case .chunk(let data):
            writer.writeVarint(field: 1, 0)
            writer.writeBytes(field: 5, data)
        case .notFound:
            writer.writeVarint(field: 1, 1)
        case .badRequest:
            writer.writeVarint(field: 1, 2)
        }
        return writer.bytes
    }

    public init(decoding bytes: [UInt8], expecting kind: BlobRequest.Kind) throws(BlobError) {
        var status: UInt64 = 0
        var size = 0
        var chunkSize = 0
        var hashes: [UInt8] = []
        var data: [UInt8]?
        do {
            let limits = ProtobufReader.Limits(maxMessageLength: BlobProtocol.maxFrameLength, maxFieldLength: BlobProtocol.maxFrameLength)
            var reader = try ProtobufReader(bytes, limits: limits)
            while let field = try reader.next() {
                switch field.number {
                case 1: status = try field.uint64()
                case 2: size = try field.int()
                case 3: chunkSize = try field.int()
                case 4: hashes = try field.bytes()
                case 5: data = try field.bytes()
                default: continue
                }
            }
        } catch {
            throw .malformed("response: \(error)")
        }
        switch (status, kind) {
        case (1, _): self = .notFound
        case (2, _): self = .badRequest
        case (0, .chunk):
            guard let data else { throw .malformed("chunk response without data") }
            self = .chunk(data)
        case (0, .manifest):
            guard hashes.count % 32 == 0 else { throw .malformed("chunk hashes not a multiple of 32 bytes") }
            let split = stride(from: 0, to: hashes.count, by: 32).map { Array(hashes[$0..<($0 + 32)]) }
            self = .manifest(try BlobManifest(size: size, chunkSize: chunkSize, chunkHashes: split))
        default:
            throw .malformed("unknown status \(status)")
        }
    }
}

public enum BlobError: Error, Equatable, Sendable, CustomStringConvertible {
    case malformed(String)
    case notFound(BlobDigest)
    case noSources(BlobDigest, String)

    public var description: String {
        switch self {
        case .malformed(let why): return "blob protocol: \(why)"
        case .notFound(let digest): return "blob \(digest) not found"
        case .noSources(let digest, let why): return "blob \(digest): no peer could supply it (\(why))"
        }
    }
}
