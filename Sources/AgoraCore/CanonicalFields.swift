/// The canonical field encoding used for event envelopes and bodies.
///
/// It is a strict subset of protobuf (so standard tools can read it): fields appear in
/// ascending tag order, only varint (0) and length-delimited (2) wire types, minimal
/// varints, and default values (0, empty) are omitted. Because a signature covers the
/// exact bytes, a decoder that accepted two spellings of one value would let the same
/// event have two IDs; the reader therefore rejects anything non-canonical. Fields the
/// reader does not know are kept verbatim so newer events survive older nodes.
public struct CanonicalWriter: Sendable {
    public private(set) var bytes: [UInt8] = []
    private var lastTag: UInt64 = 0

    public init(capacity: Int = 128) {
        bytes.reserveCapacity(capacity)
    }

    public mutating func varint(_ tag: UInt64, _ value: UInt64) {
        guard value != 0 else { return }
        key(tag, wireType: 0)
        Varint.encode(value, into: &bytes)
    }

    public mutating func bytes(_ tag: UInt64, _ value: some Collection<UInt8>) {
        guard !value.isEmpty else { return }
        key(tag, wireType: 2)
        Varint.encode(UInt64(value.count), into: &bytes)
        append(value)
    }

    /// The common field types get concrete entry points: called from another module, the
    /// generic `bytes` is not specialised and every length and copy goes through witnesses
    /// (most of the cost of encoding a view record).
    public mutating func bytes(_ tag: UInt64, _ value: [UInt8]) {
        value.withUnsafeBufferPointer { contiguous(tag, $0) }
    }

    public mutating func bytes(_ tag: UInt64, _ value: ArraySlice<UInt8>) {
        value.withUnsafeBufferPointer { contiguous(tag, $0) }
    }

    public mutating func string(_ tag: UInt64, _ value: String) {
        var value = value
        value.withUTF8 { contiguous(tag, $0) }
    }

    /// Repeated length-delimited values share one tag; order is the caller's and is kept.
    public mutating func repeated(_ tag: UInt64, _ values: [String]) {
        for value in values {
            key(tag, wireType: 2, allowRepeat: true)
            var value = value
            value.withUTF8 { utf8 in
                Varint.encode(UInt64(utf8.count), into: &bytes)
                bytes.append(contentsOf: utf8)
            }
        }
    }

    private mutating func contiguous(_ tag: UInt64, _ value: UnsafeBufferPointer<UInt8>) {
        guard !value.isEmpty else { return }
        key(tag, wireType: 2)
        Varint.encode(UInt64(value.count), into: &bytes)
        bytes.append(contentsOf: value)
    }

    /// Copies contiguous values (arrays, slices, native strings' UTF-8) in one call: from
    /// another module this generic method is not specialised, and the fallback appends byte by
    /// byte through the collection's witnesses.
    private mutating func append(_ value: some Collection<UInt8>) {
        if value.withContiguousStorageIfAvailable({ bytes.append(contentsOf: $0) }) == nil { bytes.append(contentsOf: value) }
    }

    private mutating func key(_ tag: UInt64, wireType: UInt64, allowRepeat: Bool = false) {
        precondition(tag > lastTag || (allowRepeat && tag == lastTag), "canonical fields must be written in ascending tag order")
        lastTag = tag
        Varint.encode(tag << 3 | wireType, into: &bytes)
    }
}

/// One decoded field; `raw` is its complete encoding (key, length and value).
public struct CanonicalField: Sendable, Hashable {
    public let tag: UInt64
    public let wireType: UInt8
    public let value: UInt64
    public let payload: ArraySlice<UInt8>
    public let raw: ArraySlice<UInt8>
}

public struct CanonicalDecodeError: Error, Equatable, Sendable, CustomStringConvertible {
    public let reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}

/// Reads a canonical message into its fields, enforcing the canonical rules.
///
/// The fields are kept as offsets into the message (`Span`), not as `CanonicalField`s: a
/// field's two slices retain the message twice, and an event decode reads a dozen fields
/// (envelope and body), so making, copying and destroying them cost more than reading the
/// values. `fields` builds the public form for the few callers that walk every field.
public struct CanonicalReader: Sendable {
    private struct Span: Sendable {
        var tag: UInt64
        var wireType: UInt8
        var value: UInt64
        var rawStart: Int
        var payloadStart: Int
        var end: Int
    }

    private let bytes: ArraySlice<UInt8>
    private let spans: [Span]

    public var fields: [CanonicalField] { spans.map(field) }

    public init(_ bytes: ArraySlice<UInt8>, maxFields: Int = 4096) throws(CanonicalDecodeError) {
        var spans: [Span] = []
        var index = bytes.startIndex
        var lastTag: UInt64 = 0
        while index < bytes.endIndex {
            guard spans.count < maxFields else { throw CanonicalDecodeError("too many fields") }
            let start = index
            let key = try Self.varint(bytes, &index)
            let tag = key >> 3
            let wireType = UInt8(key & 7)
            guard tag > 0 else { throw CanonicalDecodeError("field tag 0") }
            switch wireType {
            case 0:
                guard tag > lastTag else { throw CanonicalDecodeError("field \(tag) out of order or repeated") }
                let value = try Self.varint(bytes, &index)
                guard value != 0 else { throw CanonicalDecodeError("field \(tag) holds a default value") }
                spans.append(Span(tag: tag, wireType: 0, value: value, rawStart: start, payloadStart: index, end: index))
            case 2:
                guard tag >= lastTag else { throw CanonicalDecodeError("field \(tag) out of order") }
                let length = try Self.varint(bytes, &index)
                guard length > 0 else { throw CanonicalDecodeError("field \(tag) is empty") }
                guard length <= UInt64(bytes.endIndex - index) else { throw CanonicalDecodeError("field \(tag) is truncated") }
                let end = index + Int(length)
                spans.append(Span(tag: tag, wireType: 2, value: length, rawStart: start, payloadStart: index, end: end))
                index = end
            default:
                throw CanonicalDecodeError("field \(tag) has unsupported wire type \(wireType)")
            }
            lastTag = tag
        }
        self.bytes = bytes
        self.spans = spans
    }

    static func varint<C: RandomAccessCollection<UInt8>>(_ bytes: C, _ index: inout Int) throws(CanonicalDecodeError) -> UInt64
    where C.Index == Int {
        do {
            let (value, length) = try Varint.decode(bytes, at: index)
            index += length
            return value
        } catch {
            throw CanonicalDecodeError("bad varint: \(error)")
        }
    }

    private func field(_ span: Span) -> CanonicalField {
        CanonicalField(
            tag: span.tag, wireType: span.wireType, value: span.value, payload: bytes[span.payloadStart..<span.end],
            raw: bytes[span.rawStart..<span.end])
    }

    public func field(_ tag: UInt64) -> CanonicalField? {
        spans.first { $0.tag == tag }.map(field)
    }

    public func uint(_ tag: UInt64) throws(CanonicalDecodeError) -> UInt64 {
        guard let span = spans.first(where: { $0.tag == tag }) else { return 0 }
        guard span.wireType == 0 else { throw CanonicalDecodeError("field \(tag) must be a varint") }
        return span.value
    }

    public func bytes(_ tag: UInt64, exactly count: Int? = nil) throws(CanonicalDecodeError) -> [UInt8] {
        Array(try payload(tag, exactly: count))
    }

    /// `bytes(tag)` in place: the slice of the message, no copy. Fields are in tag order
    /// (`init`), so a repeated tag's fields are neighbours.
    private func payload(_ tag: UInt64, exactly count: Int? = nil) throws(CanonicalDecodeError) -> ArraySlice<UInt8> {
        guard let position = spans.firstIndex(where: { $0.tag == tag }) else { return [] }
        let span = spans[position]
        guard position + 1 == spans.endIndex || spans[position + 1].tag != tag else {
            throw CanonicalDecodeError("field \(tag) is repeated")
        }
        guard span.wireType == 2 else { throw CanonicalDecodeError("field \(tag) must be bytes") }
        if let count, span.end - span.payloadStart != count {
            throw CanonicalDecodeError("field \(tag) must be \(count) bytes, got \(span.end - span.payloadStart)")
        }
        return bytes[span.payloadStart..<span.end]
    }

    /// Validated from the message's bytes in place (every event decode reads several strings).
    public func string(_ tag: UInt64) throws(CanonicalDecodeError) -> String {
        let raw = try payload(tag)
        guard let text = UTF8Text.string(raw) else { throw CanonicalDecodeError("field \(tag) is not UTF-8") }
        return text
    }

    public func strings(_ tag: UInt64) throws(CanonicalDecodeError) -> [String] {
        var out: [String] = []
        for span in spans where span.tag == tag {
            guard span.wireType == 2, let text = UTF8Text.string(bytes[span.payloadStart..<span.end]) else {
                throw CanonicalDecodeError("field \(tag) is not UTF-8 text")
            }
            out.append(text)
        }
        return out
    }

    /// Fields whose tags this version does not interpret; the stored bytes keep them anyway.
    public func unknown(known: Set<UInt64>) -> [CanonicalField] {
        spans.filter { !known.contains($0.tag) }.map(field)
    }
}
