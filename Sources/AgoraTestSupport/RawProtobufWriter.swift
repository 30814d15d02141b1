import AgoraCore

/// Writes protobuf fields byte by byte, in the order given: tests and fuzz seeds use it to
/// craft what the generated encoders never produce (unknown field numbers, wrong wire
/// types, duplicates, over-long lists) and feed it to the decoders peers reach.
public struct RawProtobufWriter: Sendable {
    public private(set) var bytes: [UInt8] = []

    public init() {}

    private mutating func tag(_ field: Int, _ wireType: UInt64) {
        Varint.encode(UInt64(field) << 3 | wireType, into: &bytes)
    }

    public mutating func writeVarint(field: Int, _ value: UInt64) {
        tag(field, 0)
        Varint.encode(value, into: &bytes)
    }

    public mutating func writeBytes<Bytes: Collection>(field: Int, _ value: Bytes) where Bytes.Element == UInt8 {
        tag(field, 2)
        Varint.encode(UInt64(value.count), into: &bytes)
        bytes.append(contentsOf: value)
    }

    public mutating func writeString(field: Int, _ value: String) {
        writeBytes(field: field, Array(value.utf8))
    }

    public mutating func writeMessage(field: Int, _ build: (inout RawProtobufWriter) -> Void) {
        var nested = RawProtobufWriter()
        build(&nested)
        writeBytes(field: field, nested.bytes)
    }

    public mutating func writeFixed32(field: Int, _ value: UInt32) {
        tag(field, 5)
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    public mutating func writeFixed64(field: Int, _ value: UInt64) {
        tag(field, 1)
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }
}
