import AgoraCore
import AgoraStore

/// Shared rules that make every view a function of the event *set*, not of arrival order.
public enum ViewFold {
    /// Sorts by (author, seq, event ID) and drops duplicates. The event ID breaks ties between
    /// two events with the same (author, seq) — equivocation — so even then the order is fixed.
    public static func canonicalOrder(_ events: [Event]) -> [Event] {
        var seen = Set<EventID>()
        let unique = events.filter { seen.insert($0.id).inserted }
        return unique.sorted(by: precedes)
    }

    public static func precedes(_ lhs: Event, _ rhs: Event) -> Bool {
        if lhs.author != rhs.author { return lhs.author < rhs.author }
        if lhs.seq != rhs.seq { return lhs.seq < rhs.seq }
        return lhs.id < rhs.id
    }
}

/// Errors reading a stored view record; a record that fails here means the view must be rebuilt.
public struct ViewDecodeError: Error, Equatable, Sendable, CustomStringConvertible {
    public let reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { "corrupt view record: \(reason)" }
}

/// Helpers for view records. Records use the same canonical field encoding as events, so a
/// view rebuilt anywhere has one byte string; repeated nested messages go last, in order.
enum ViewRecord {
    /// Largest record a decoder accepts; a package with thousands of releases stays far below.
    static let maxRecordSize = 64 * 1024 * 1024
    static let maxFields = 1 << 20

    static func appendRepeated(_ tag: UInt64, _ messages: [[UInt8]], to out: inout [UInt8]) {
        for message in messages {
            Varint.encode(tag << 3 | 2, into: &out)
            Varint.encode(UInt64(message.count), into: &out)
            out.append(contentsOf: message)
        }
    }

    static func reader(_ bytes: some Collection<UInt8>) throws(ViewDecodeError) -> CanonicalReader {
        guard bytes.count <= maxRecordSize else { throw ViewDecodeError("record of \(bytes.count) bytes is too large") }
        do { return try CanonicalReader(ArraySlice(bytes), maxFields: maxFields) } catch { throw ViewDecodeError(error.reason) }
    }

    static func messages(_ reader: CanonicalReader, _ tag: UInt64) throws(ViewDecodeError) -> [ArraySlice<UInt8>] {
        var out: [ArraySlice<UInt8>] = []
        for field in reader.fields where field.tag == tag {
            guard field.wireType == 2 else { throw ViewDecodeError("field \(tag) must be a message") }
            out.append(field.payload)
        }
        return out
    }

    static func key(_ bytes: [UInt8]) throws(ViewDecodeError) -> PublicKey {
        do { return try PublicKey(bytes: bytes) } catch { throw ViewDecodeError(error.reason) }
    }

    static func eventID(_ bytes: [UInt8]) throws(ViewDecodeError) -> EventID {
        do { return try EventID(bytes: bytes) } catch { throw ViewDecodeError(error.reason) }
    }

    /// Runs a CanonicalReader accessor, turning its error into a view error.
    static func read<T>(_ body: () throws(CanonicalDecodeError) -> T) throws(ViewDecodeError) -> T {
        do { return try body() } catch { throw ViewDecodeError(error.reason) }
    }
}
