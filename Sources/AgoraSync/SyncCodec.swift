import AgoraCore
import AgoraWire

/// Protobuf encodings of sync frames (hand-written: three small messages; unknown fields are
/// skipped). Request: 1 id, 2 heads{1 after}, 3 range{1 author, 2 from, 3 to},
/// 4 changes{1 after, 2 upTo, 3 waitMillis}. Response: 1 id, 2 heads{1 event*, 2 more},
/// 3 events{1 zstd batch, 2 through, 3 latest}, 4 failure{1 message}.
public enum SyncCodec {
    public static func encode(_ frame: SyncRequestFrame) -> [UInt8] {
        var writer = ProtobufWriter()
        writer.writeVarint(field: 1, frame.id)
        switch frame.request {
        case .heads(let after):
            writer.writeMessage(field: 2) { if let after { $0.writeBytes(field: 1, after.bytes) } }
        case .range(let author, let from, let to):
            writer.writeMessage(field: 3) {
                $0.writeBytes(field: 1, author.bytes)
                $0.writeVarint(field: 2, from)
                $0.writeVarint(field: 3, to)
            }
        case .changes(let after, let upTo, let wait):
            writer.writeMessage(field: 4) {
                $0.writeVarint(field: 1, after)
                $0.writeVarint(field: 2, upTo)
                $0.writeVarint(field: 3, UInt64(wait))
            }
        }
        return writer.bytes
    }

    public static func encode(_ frame: SyncResponseFrame) -> [UInt8] {
        var writer = ProtobufWriter()
        writer.writeVarint(field: 1, frame.id)
        switch frame.response {
        case .heads(let events, let more):
            writer.writeMessage(field: 2) {
                for event in events { $0.writeBytes(field: 1, event.bytes) }
                $0.writeBool(field: 2, more)
            }
        case .events(let events, let through, let latest):
            let batch = EventBatch.encode(events)
            writer.writeMessage(field: 3) {
                $0.writeBytes(field: 1, batch)
                $0.writeVarint(field: 2, through)
                $0.writeVarint(field: 3, latest)
            }
        case .failure(let message):
            writer.writeMessage(field: 4) { $0.writeString(field: 1, String(message.utf8.prefix(512)) ?? "error") }
        }
        return writer.bytes
    }

    public static func decodeRequest(_ bytes: [UInt8], limits: SyncLimits) throws(SyncError) -> SyncRequestFrame {
        do {
            var reader = try ProtobufReader(bytes, limits: readerLimits(limits))
            var id: UInt64?
            var request: SyncRequest?
            while let field = try reader.next() {
                switch field.number {
                case 1: id = try field.uint64()
                case 2:
                    var inner = try field.message()
                    var after: PublicKey?
                    while let f = try inner.next() {
                        if f.number == 1 { after = try key(f.bytes()) }
                    }
                    request = .heads(after: after)
                case 3:
                    var inner = try field.message()
                    var author: PublicKey?
                    var from: UInt64 = 0, to: UInt64 = 0
                    while let f = try inner.next() {
                        switch f.number {
                        case 1: author = try key(f.bytes())
                        case 2: from = try f.uint64()
                        case 3: to = try f.uint64()
                        default: continue
                        }
                    }
                    guard let author else { throw SyncError.malformed("range request without an author") }
                    request = .range(author: author, from: from, to: to)
                case 4:
                    var inner = try field.message()
                    var after: UInt64 = 0, upTo: UInt64 = 0, wait: UInt32 = 0
                    while let f = try inner.next() {
                        switch f.number {
                        case 1: after = try f.uint64()
                        case 2: upTo = try f.uint64()
                        case 3: wait = try f.uint32()
                        default: continue
                        }
                    }
                    request = .changes(after: after, upTo: upTo, waitMillis: wait)
                default: continue
                }
            }
            guard let id, let request else { throw SyncError.malformed("request without an id or a kind") }
            return SyncRequestFrame(id: id, request: request)
        } catch let error as SyncError {
            throw error
        } catch {
            throw .malformed("\(error)")
        }
    }

    public static func decodeResponse(_ bytes: [UInt8], limits: SyncLimits) throws(SyncError) -> SyncResponseFrame {
        do {
            var reader = try ProtobufReader(bytes, limits: readerLimits(limits))
            var id: UInt64?
            var response: SyncResponse?
            while let field = try reader.next() {
                switch field.number {
                case 1: id = try field.uint64()
                case 2:
                    var inner = try field.message()
                    var events: [Event] = []
                    var more = false
                    while let f = try inner.next() {
                        switch f.number {
                        case 1:
                            guard events.count < limits.maxHeadsPerPage else {
                                throw SyncError.malformed("more than \(limits.maxHeadsPerPage) heads in one page")
                            }
                            events.append(try Event(decoding: f.bytes()))
                        case 2: more = try f.bool()
                        default: continue
                        }
                    }
                    response = .heads(events, more: more)
                case 3:
                    var inner = try field.message()
                    var batch: ArraySlice<UInt8> = []
                    var through: UInt64 = 0, latest: UInt64 = 0
                    while let f = try inner.next() {
                        switch f.number {
                        case 1: batch = try f.bytesSlice()
                        case 2: through = try f.uint64()
                        case 3: latest = try f.uint64()
                        default: continue
                        }
                    }
                    response = .events(try EventBatch.decode(batch, limits: limits), through: through, latest: latest)
                case 4:
                    var inner = try field.message()
                    var message = ""
                    while let f = try inner.next() {
                        if f.number == 1 { message = try f.string() }
                    }
                    response = .failure(message)
                default: continue
                }
            }
            guard let id, let response else { throw SyncError.malformed("response without an id or a kind") }
            return SyncResponseFrame(id: id, response: response)
        } catch let error as SyncError {
            throw error
        } catch {
            throw .malformed("\(error)")
        }
    }

    private static func readerLimits(_ limits: SyncLimits) -> ProtobufReader.Limits {
        ProtobufReader.Limits(maxMessageLength: limits.maxFrameLength, maxFieldLength: limits.maxFrameLength)
    }

    private static func key(_ bytes: [UInt8]) throws(SyncError) -> PublicKey {
        do {
            return try PublicKey(bytes: bytes)
        } catch {
            throw .malformed("a feed key of \(bytes.count) bytes")
        }
    }
}
