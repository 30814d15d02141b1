import AgoraCore

/// Protobuf wire types this codec understands. Groups (3, 4) are deprecated and
/// nothing in libp2p uses them, so a reader rejects them rather than guessing.
public enum ProtobufWireType: UInt8, Sendable {
    case varint = 0
    case fixed64 = 1
    case lengthDelimited = 2
    case fixed32 = 5
}

public enum ProtobufError: Error, Equatable, Sendable, CustomStringConvertible {
    case truncated
    case malformedVarint
    case invalidFieldNumber(UInt64)
    case unsupportedWireType(UInt8)
    case fieldTooLong(field: Int, length: UInt64, limit: Int)
    case messageTooLong(length: Int, limit: Int)
    case wrongWireType(field: Int, expected: ProtobufWireType, actual: ProtobufWireType)
    case invalidUTF8(field: Int)
    case valueOutOfRange(field: Int)
    case missingField(Int)

    public var description: String {
        switch self {
        case .truncated: return "protobuf: message truncated"
        case .malformedVarint: return "protobuf: malformed varint"
        case .invalidFieldNumber(let n): return "protobuf: invalid field number \(n)"
        case .unsupportedWireType(let t): return "protobuf: unsupported wire type \(t)"
        case .fieldTooLong(let field, let length, let limit): return "protobuf: field \(field) has \(length) bytes, limit \(limit)"
        case .messageTooLong(let length, let limit): return "protobuf: message of \(length) bytes exceeds the limit of \(limit)"
        case .wrongWireType(let field, let expected, let actual): return "protobuf: field \(field) has wire type \(actual), expected \(expected)"
        case .invalidUTF8(let field): return "protobuf: field \(field) is not valid UTF-8"
        case .valueOutOfRange(let field): return "protobuf: field \(field) value out of range"
        case .missingField(let field): return "protobuf: required field \(field) missing"
        }
    }
}

/// Appends protobuf fields in the order written; callers write fields in
/// field-number order when a canonical encoding matters (libp2p PublicKey).
public struct ProtobufWriter: Sendable {
    public private(set) var bytes: [UInt8] = []

    public init() {}

    private mutating func tag(_ field: Int, _ type: ProtobufWireType) {
        precondition(field > 0 && field < 1 << 29, "protobuf field numbers are 1 ..< 2^29")
        Varint.encode(UInt64(field) << 3 | UInt64(type.rawValue), into: &bytes)
    }

    public mutating func writeVarint(field: Int, _ value: UInt64) {
        tag(field, .varint)
        Varint.encode(value, into: &bytes)
    }

    public mutating func writeBool(field: Int, _ value: Bool) {
        writeVarint(field: field, value ? 1 : 0)
    }

    public mutating func writeBytes<Bytes: Collection>(field: Int, _ value: Bytes) where Bytes.Element == UInt8 {
        tag(field, .lengthDelimited)
        Varint.encode(UInt64(value.count), into: &bytes)
        bytes.append(contentsOf: value)
    }

    public mutating func writeString(field: Int, _ value: String) {
        writeBytes(field: field, Array(value.utf8))
    }

    /// Writes a nested message built by `build` as a length-delimited field.
    public mutating func writeMessage(field: Int, _ build: (inout ProtobufWriter) -> Void) {
        var nested = ProtobufWriter()
        build(&nested)
        writeBytes(field: field, nested.bytes)
    }

    public mutating func writeFixed32(field: Int, _ value: UInt32) {
        tag(field, .fixed32)
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    public mutating func writeFixed64(field: Int, _ value: UInt64) {
        tag(field, .fixed64)
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }
}

/// One decoded field. Accessors check the wire type so a peer cannot make us read
/// a varint where we expect bytes.
public struct ProtobufField: Sendable {
    public enum Value: Sendable, Equatable {
        case varint(UInt64)
        case fixed64(UInt64)
        case lengthDelimited(ArraySlice<UInt8>)
        case fixed32(UInt32)
    }

    public let number: Int
    public let value: Value
    let limits: ProtobufReader.Limits

    public var wireType: ProtobufWireType {
        switch value {
        case .varint: return .varint
        case .fixed64: return .fixed64
        case .lengthDelimited: return .lengthDelimited
        case .fixed32: return .fixed32
        }
    }

    public func uint64() throws(ProtobufError) -> UInt64 {
        guard case .varint(let v) = value else { throw .wrongWireType(field: number, expected: .varint, actual: wireType) }
        return v
    }

    public func uint32() throws(ProtobufError) -> UInt32 {
        guard let v = UInt32(exactly: try uint64()) else { throw .valueOutOfRange(field: number) }
        return v
    }

    public func int() throws(ProtobufError) -> Int {
        guard let v = Int(exactly: try uint64()) else { throw .valueOutOfRange(field: number) }
        return v
    }

    public func bool() throws(ProtobufError) -> Bool {
        switch try uint64() {
        case 0: return false
        case 1: return true
        default: throw .valueOutOfRange(field: number)
        }
    }

    public func bytes() throws(ProtobufError) -> [UInt8] {
        Array(try bytesSlice())
    }

    public func bytesSlice() throws(ProtobufError) -> ArraySlice<UInt8> {
        guard case .lengthDelimited(let v) = value else {
            throw .wrongWireType(field: number, expected: .lengthDelimited, actual: wireType)
        }
        return v
    }

    public func string() throws(ProtobufError) -> String {
        let raw = try bytesSlice()
        // Decoding repairs invalid sequences, so a lossless round trip proves validity.
        let text = String(decoding: raw, as: UTF8.self)
        guard text.utf8.elementsEqual(raw) else { throw .invalidUTF8(field: number) }
        return text
    }

    /// A reader over the nested message, with the same limits as its parent.
    public func message() throws(ProtobufError) -> ProtobufReader {
        ProtobufReader(slice: try bytesSlice(), limits: limits)
    }
}

/// Iterates over the fields of one message. Callers switch on the field number and
/// ignore numbers they do not know, which is how unknown fields are skipped.
public struct ProtobufReader: Sendable {
    public struct Limits: Sendable, Equatable {
        /// Largest whole message the reader accepts.
        public var maxMessageLength: Int
        /// Largest single length-delimited field.
        public var maxFieldLength: Int

        public init(maxMessageLength: Int = 1 << 20, maxFieldLength: Int = 1 << 20) {
            self.maxMessageLength = maxMessageLength
            self.maxFieldLength = maxFieldLength
        }
    }

    private let data: ArraySlice<UInt8>
    private var position: Int
    private let limits: Limits

    public init<Bytes: Collection>(_ bytes: Bytes, limits: Limits = Limits()) throws(ProtobufError) where Bytes.Element == UInt8 {
        guard bytes.count <= limits.maxMessageLength else {
            throw .messageTooLong(length: bytes.count, limit: limits.maxMessageLength)
        }
        self.init(slice: Array(bytes)[...], limits: limits)
    }

    fileprivate init(slice: ArraySlice<UInt8>, limits: Limits) {
        self.data = slice
        self.position = slice.startIndex
        self.limits = limits
    }

    public var isAtEnd: Bool { position >= data.endIndex }

    private mutating func varint() throws(ProtobufError) -> UInt64 {
        do {
            let (value, length) = try Varint.decode(data, at: position)
            position += length
            return value
        } catch {
            throw error == .truncated ? .truncated : .malformedVarint
        }
    }

    private mutating func take(_ count: Int) throws(ProtobufError) -> ArraySlice<UInt8> {
        guard data.endIndex - position >= count else { throw .truncated }
        defer { position += count }
        return data[position..<(position + count)]
    }

    private mutating func littleEndian(_ count: Int) throws(ProtobufError) -> UInt64 {
        var value: UInt64 = 0
        for (shift, byte) in try take(count).enumerated() { value |= UInt64(byte) << (8 * UInt64(shift)) }
        return value
    }

    /// The next field, or nil at the end of the message.
    public mutating func next() throws(ProtobufError) -> ProtobufField? {
        guard !isAtEnd else { return nil }
        let key = try varint()
        let fieldNumber = key >> 3
        guard fieldNumber > 0 && fieldNumber < 1 << 29 else { throw .invalidFieldNumber(fieldNumber) }
        let number = Int(fieldNumber)
        let rawType = UInt8(key & 7)
        guard let type = ProtobufWireType(rawValue: rawType) else { throw .unsupportedWireType(rawType) }
        let value: ProtobufField.Value
        switch type {
        case .varint:
            value = .varint(try varint())
        case .fixed64:
            value = .fixed64(try littleEndian(8))
        case .fixed32:
            value = .fixed32(UInt32(try littleEndian(4)))
        case .lengthDelimited:
            let length = try varint()
            guard length <= UInt64(limits.maxFieldLength) else {
                throw .fieldTooLong(field: number, length: length, limit: limits.maxFieldLength)
            }
            value = .lengthDelimited(try take(Int(length)))
        }
        return ProtobufField(number: number, value: value, limits: limits)
    }
}
