/// The envelope fields of an event, located in one pass over its bytes without building a
/// field list. It accepts exactly what `CanonicalReader` plus the envelope's field reads
/// accept (events that one node stores, every node must), so the rules are spelled out here:
/// ascending tags, varints minimal and non-zero, length-delimited fields non-empty and
/// possibly repeated; a known varint field read from its first occurrence, a known bytes field
/// present at most once.
struct EventEnvelope {
    var format: UInt64 = 0
    var seq: UInt64 = 0
    var timestamp: UInt64 = 0
    var kind: UInt64 = 0
    var author: Range<Int>?
    var prev: Range<Int>?
    var body: Range<Int>?
    /// Where the last field starts; it must be the 64-byte signature (field 15).
    var signedLength = 0

    init(_ bytes: [UInt8], maxFields: Int = 4096) throws(CanonicalDecodeError) {
        var index = 0
        var lastTag: UInt64 = 0
        var fields = 0
        var lastIsSignature = false
        while index < bytes.count {
            guard fields < maxFields else { throw CanonicalDecodeError("too many fields") }
            fields += 1
            let start = index
            let key = try CanonicalReader.varint(bytes, &index)
            let tag = key >> 3
            guard tag > 0 else { throw CanonicalDecodeError("field tag 0") }
            switch key & 7 {
            case 0:
                guard tag > lastTag else { throw CanonicalDecodeError("field \(tag) out of order or repeated") }
                let value = try CanonicalReader.varint(bytes, &index)
                guard value != 0 else { throw CanonicalDecodeError("field \(tag) holds a default value") }
                switch tag {
                case 1: format = value
                case 3: seq = value
                case 5: timestamp = value
                case 6: kind = value
                case 2, 4, 7: throw CanonicalDecodeError("field \(tag) must be bytes")
                default: break
                }
                lastIsSignature = false
            case 2:
                guard tag >= lastTag else { throw CanonicalDecodeError("field \(tag) out of order") }
                let length = try CanonicalReader.varint(bytes, &index)
                guard length > 0 else { throw CanonicalDecodeError("field \(tag) is empty") }
                guard length <= UInt64(bytes.count - index) else { throw CanonicalDecodeError("field \(tag) is truncated") }
                let range = index..<(index + Int(length))
                switch tag {
                // A repeat of a varint field as bytes is ignored, as a first-occurrence read would.
                case 1 where format == 0, 3 where seq == 0, 5 where timestamp == 0, 6 where kind == 0:
                    throw CanonicalDecodeError("field \(tag) must be a varint")
                case 2: author = try Self.once(author, range, tag: tag)
                case 4: prev = try Self.once(prev, range, tag: tag)
                case 7: body = try Self.once(body, range, tag: tag)
                default: break
                }
                index = range.upperBound
                lastIsSignature = tag == 15 && length == 64
                signedLength = start
            default:
                throw CanonicalDecodeError("field \(tag) has unsupported wire type \(key & 7)")
            }
            lastTag = tag
        }
        guard lastIsSignature else { throw CanonicalDecodeError("missing 64-byte signature as the last field") }
    }

    private static func once(_ existing: Range<Int>?, _ range: Range<Int>, tag: UInt64) throws(CanonicalDecodeError) -> Range<Int> {
        guard existing == nil else { throw CanonicalDecodeError("field \(tag) is repeated") }
        return range
    }
}

extension Event {
    /// Where `bytes` (an event a store accepted) sits: its author key's byte range and its feed
    /// seq, read without hashing or copying, for scans that decide per entry whether to send it.
    /// Nil for bytes that are not a well-formed envelope with a 32-byte author and a seq.
    public static func feedPosition(of bytes: [UInt8]) -> (author: Range<Int>, seq: UInt64)? {
        guard let envelope = try? EventEnvelope(bytes), let author = envelope.author, author.count == 32, envelope.seq >= 1 else {
            return nil
        }
        return (author, envelope.seq)
    }
}
