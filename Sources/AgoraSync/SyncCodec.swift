import AgoraCore
import AgoraWire
import Foundation
import SwiftProtobuf

/// Sync frames to and from the protobuf messages of `Proto/sync.proto` (generated with
/// swift-protobuf, `tools/generate-protos.sh`), decoded only after the length check, with
/// unknown fields skipped.
public enum SyncCodec {
    public static func encode(_ frame: SyncRequestFrame) -> [UInt8] {
        var message = Agora_Sync_SyncRequest()
        message.id = frame.id
        switch frame.request {
        case .heads(let after):
            var heads = Agora_Sync_SyncRequest.Heads()
            heads.after = Data(after?.bytes ?? [])
            message.heads = heads
        case .range(let author, let from, let to):
            var range = Agora_Sync_SyncRequest.Range()
            range.author = Data(author.bytes)
            range.firstSeq = from
            range.lastSeq = to
            message.range = range
        case .changes(let after, let upTo, let wait):
            var changes = Agora_Sync_SyncRequest.Changes()
            changes.after = after
            changes.upTo = upTo
            changes.waitMillis = wait
            message.changes = changes
        }
        return serialized(message)
    }

    public static func encode(_ frame: SyncResponseFrame) -> [UInt8] {
        var message = Agora_Sync_SyncResponse()
        message.id = frame.id
        switch frame.response {
        case .heads(let events, let more):
            var heads = Agora_Sync_SyncResponse.Heads()
            heads.events = events.map { Data($0.bytes) }
            heads.more = more
            message.heads = heads
        case .events(let events, let through, let latest):
            var reply = Agora_Sync_SyncResponse.Events()
            reply.batch = Data(EventBatch.encode(events))
            reply.through = through
            reply.latest = latest
            message.events = reply
        case .failure(let text):
            var failure = Agora_Sync_SyncResponse.Failure()
            failure.message = String(decoding: text.utf8.prefix(512), as: UTF8.self)
            message.failure = failure
        }
        return serialized(message)
    }

    public static func decodeRequest(_ bytes: [UInt8], limits: SyncLimits) throws(SyncError) -> SyncRequestFrame {
        let message = try decode(Agora_Sync_SyncRequest.self, bytes, limits: limits)
        switch message.kind {
        case .heads(let heads):
            return SyncRequestFrame(id: message.id, request: .heads(after: heads.after.isEmpty ? nil : try key(heads.after)))
        case .range(let range):
            return SyncRequestFrame(
                id: message.id, request: .range(author: try key(range.author), from: range.firstSeq, to: range.lastSeq))
        case .changes(let changes):
            return SyncRequestFrame(
                id: message.id, request: .changes(after: changes.after, upTo: changes.upTo, waitMillis: changes.waitMillis))
        case nil:
            throw .malformed("a request of no known kind")
        }
    }

    public static func decodeResponse(_ bytes: [UInt8], limits: SyncLimits) throws(SyncError) -> SyncResponseFrame {
        let message = try decode(Agora_Sync_SyncResponse.self, bytes, limits: limits)
        switch message.kind {
        case .heads(let heads):
            guard heads.events.count <= limits.maxHeadsPerPage else {
                throw .malformed("\(heads.events.count) heads in one page, more than \(limits.maxHeadsPerPage)")
            }
            var events: [Event] = []
            events.reserveCapacity(heads.events.count)
            for bytes in heads.events {
                do {
                    events.append(try Event(decoding: Array(bytes)))
                } catch {
                    throw .malformed("a head: \(error)")
                }
            }
            return SyncResponseFrame(id: message.id, response: .heads(events, more: heads.more))
        case .events(let reply):
            let events = try EventBatch.decode(reply.batch, limits: limits)
            return SyncResponseFrame(id: message.id, response: .events(events, through: reply.through, latest: reply.latest))
        case .failure(let failure):
            return SyncResponseFrame(id: message.id, response: .failure(failure.message))
        case nil:
            throw .malformed("a response of no known kind")
        }
    }

    private static func decode<Message: SwiftProtobuf.Message>(_ type: Message.Type, _ bytes: [UInt8], limits: SyncLimits) throws(SyncError) -> Message {
        do {
            return try BoundedProtobuf.decode(type, from: bytes, maxLength: limits.maxFrameLength)
        } catch {
            switch error {
            case .tooLong(let length, let limit): throw .frameTooLong(length: length, limit: limit)
            case .malformed(let why): throw .malformed(why)
            }
        }
    }

    /// Messages built here always encode (no required fields); an empty frame would be
    /// refused by the peer as malformed, never misread.
    private static func serialized(_ message: some SwiftProtobuf.Message) -> [UInt8] {
        (try? BoundedProtobuf.encode(message)) ?? []
    }

    private static func key(_ bytes: Data) throws(SyncError) -> PublicKey {
        do {
            return try PublicKey(bytes: Array(bytes))
        } catch {
            throw .malformed("a feed key of \(bytes.count) bytes")
        }
    }
}
