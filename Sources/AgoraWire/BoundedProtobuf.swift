import Foundation
import SwiftProtobuf

/// Decodes libp2p protobuf messages with the bounds swift-protobuf leaves to the caller:
/// it decodes whatever fits in the bytes it is given, so the length check here is what
/// caps memory. Unknown fields are dropped instead of kept for re-encoding, and nesting is
/// capped far below the library's default because no libp2p message nests deeply.
package enum BoundedProtobuf {
    package static func decode<Message: SwiftProtobuf.Message, Bytes: Collection>(
        _ type: Message.Type, from bytes: Bytes, maxLength: Int
    ) throws(BoundedProtobufError) -> Message where Bytes.Element == UInt8 {
        guard bytes.count <= maxLength else { throw .tooLong(length: bytes.count, limit: maxLength) }
        var options = BinaryDecodingOptions()
        options.discardUnknownFields = true
        options.messageDepthLimit = 8
        do {
            return try Message(serializedBytes: Array(bytes), options: options)
        } catch {
            throw .malformed(Self.reason(error))
        }
    }

    /// Encoding a message built in memory only fails for missing required fields, which the
    /// callers always set; a failure is a programming error, reported rather than trapped.
    package static func encode(_ message: some SwiftProtobuf.Message) throws(BoundedProtobufError) -> [UInt8] {
        do {
            let bytes: [UInt8] = try message.serializedBytes()
            return bytes
        } catch {
            throw .malformed(Self.reason(error))
        }
    }

    private static func reason(_ error: any Error) -> String {
        switch error {
        case BinaryDecodingError.truncated: return "truncated"
        case BinaryDecodingError.missingRequiredFields: return "missing required fields"
        case BinaryDecodingError.messageDepthLimit: return "nested too deeply"
        case BinaryDecodingError.invalidUTF8: return "a string is not UTF-8"
        case BinaryEncodingError.missingRequiredFields: return "missing required fields"
        default: return "malformed protobuf"
        }
    }
}

package enum BoundedProtobufError: Error, Equatable, Sendable, CustomStringConvertible {
    case tooLong(length: Int, limit: Int)
    case malformed(String)

    package var description: String {
        switch self {
        case .tooLong(let length, let limit): return "message of \(length) bytes exceeds the limit of \(limit)"
        case .malformed(let why): return why
        }
    }
}
