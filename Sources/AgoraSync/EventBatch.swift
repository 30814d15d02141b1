import AgoraCore
import CZstd

/// A batch of events on the sync wire: `varint(length) ‖ event bytes` for each, zstd-compressed
/// as one frame. The frame must declare its decompressed size, which is checked against the
/// limit before any memory is allocated for it.
public enum EventBatch {
    static let level: Int32 = 1

    public static func encode(_ events: [Event]) -> [UInt8] {
        encode(bytes: events.map(\.bytes))
    }

    /// The batch of events given by their encoded bytes (as a store holds them).
    public static func encode(bytes events: [[UInt8]]) -> [UInt8] {
        var raw: [UInt8] = []
        raw.reserveCapacity(events.reduce(0) { $0 + $1.count + 3 })
        for event in events {
            Varint.encode(UInt64(event.count), into: &raw)
            raw += event
        }
        guard !raw.isEmpty else { return [] }
        return raw.withUnsafeBytes { input in
            let bound = ZSTD_compressBound(input.count)
            return [UInt8](unsafeUninitializedCapacity: bound) { buffer, count in
                let written = ZSTD_compress(buffer.baseAddress, bound, input.baseAddress, input.count, level)
                // Compressing into a buffer of `ZSTD_compressBound` bytes cannot fail.
                count = ZSTD_isError(written) != 0 ? 0 : written
            }
        }
    }

    public static func decode(_ compressed: some Collection<UInt8>, limits: SyncLimits) throws(SyncError) -> [Event] {
        guard !compressed.isEmpty else { return [] }
        let raw = try decompress(Array(compressed), limit: limits.maxBatchBytes).get()
        var events: [Event] = []
        var index = 0
        while index < raw.count {
            guard events.count < limits.maxEventsPerBatch else {
                throw .malformed("event batch holds more than \(limits.maxEventsPerBatch) events")
            }
            let length: UInt64
            let prefix: Int
            do {
                (length, prefix) = try Varint.decode(raw, at: index)
            } catch {
                throw .malformed("event batch: bad length prefix")
            }
            index += prefix
            guard length <= UInt64(Event.maxSize), Int(length) <= raw.count - index else {
                throw .malformed("event batch: an event of \(length) bytes")
            }
            do {
                events.append(try Event(decoding: Array(raw[index..<(index + Int(length))])))
            } catch {
                throw .malformed("event batch: \(error)")
            }
            index += Int(length)
        }
        return events
    }

    private static func decompress(_ input: [UInt8], limit: Int) -> Result<[UInt8], SyncError> {
        input.withUnsafeBytes { input in
            let declared = ZSTD_getFrameContentSize(input.baseAddress, input.count)
            guard declared != ZSTD_CONTENTSIZE_ERROR, declared != ZSTD_CONTENTSIZE_UNKNOWN else {
                return .failure(.malformed("event batch is not a zstd frame with a declared size"))
            }
            guard declared <= UInt64(limit) else {
                return .failure(.malformed("event batch of \(declared) bytes exceeds \(limit)"))
            }
            let size = Int(declared)
            var failure: String?
            let out = [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
                let written = ZSTD_decompress(buffer.baseAddress, size, input.baseAddress, input.count)
                if ZSTD_isError(written) != 0 {
                    failure = String(cString: ZSTD_getErrorName(written))
                } else if written != size {
                    failure = "decompressed to \(written) bytes, declared \(size)"
                }
                count = failure == nil ? written : 0
            }
            if let failure { return .failure(.malformed("event batch: \(failure)")) }
            return .success(out)
        }
    }
}
