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
        case .holdings(let feeds):
            var holdings = Agora_Sync_SyncRequest.Holdings()
            holdings.feeds = feeds.map { feed in
                var entry = Agora_Sync_SyncRequest.Holdings.Feed()
                entry.author = Data(feed.author.bytes)
                entry.seq = feed.seq
                return entry
            }
            message.holdings = holdings
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
        case .events(let events, let through, let latest, let held):
            message.events = eventsMessage(EventBatch.encode(events), through: through, latest: latest, held: held)
        case .storedEvents(let events, let through, let latest, let held):
            message.events = eventsMessage(EventBatch.encode(bytes: events), through: through, latest: latest, held: held)
        case .kept(let count):
            var kept = Agora_Sync_SyncResponse.Kept()
            kept.count = UInt32(clamping: count)
            message.kept = kept
        case .failure(let text):
            var failure = Agora_Sync_SyncResponse.Failure()
            failure.message = String(decoding: text.utf8.prefix(512), as: UTF8.self)
            message.failure = failure
        }
        return serialized(message)
    }

    private static func eventsMessage(_ batch: [UInt8], through: UInt64, latest: UInt64, held: [HeldRun]) -> Agora_Sync_SyncResponse.Events {
        var reply = Agora_Sync_SyncResponse.Events()
        reply.batch = Data(batch)
        reply.through = through
        reply.latest = latest
        reply.held = held.map { run in
            var entry = Agora_Sync_SyncResponse.HeldRun()
            entry.author = Data(run.author.bytes)
            entry.firstSeq = run.first
            entry.lastSeq = run.last
            entry.lastID = Data(run.lastID.bytes)
            return entry
        }
        return reply
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
        case .holdings(let holdings):
            guard holdings.feeds.count <= limits.maxHoldingsPerPage else {
                throw .malformed("\(holdings.feeds.count) held feeds in one request, more than \(limits.maxHoldingsPerPage)")
            }
            var feeds: [HeldFeed] = []
            feeds.reserveCapacity(holdings.feeds.count)
            for feed in holdings.feeds {
                guard feed.seq >= 1 else { throw .malformed("a held feed at seq 0") }
                feeds.append(HeldFeed(author: try key(feed.author), seq: feed.seq))
            }
            return SyncRequestFrame(id: message.id, request: .holdings(feeds))
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
            guard reply.held.count <= limits.maxHeldFeeds else {
                throw .malformed("\(reply.held.count) held runs in one reply, more than \(limits.maxHeldFeeds)")
            }
            var held: [HeldRun] = []
            held.reserveCapacity(reply.held.count)
            for run in reply.held {
                guard run.firstSeq >= 1, run.firstSeq <= run.lastSeq else {
                    throw .malformed("a held run of seqs \(run.firstSeq)...\(run.lastSeq)")
                }
                let id: EventID
                do { id = try EventID(bytes: Array(run.lastID)) } catch { throw .malformed("a held run's ID of \(run.lastID.count) bytes") }
                held.append(HeldRun(author: try key(run.author), first: run.firstSeq, last: run.lastSeq, lastID: id))
            }
            return SyncResponseFrame(id: message.id, response: .events(events, through: reply.through, latest: reply.latest, held: held))
        case .kept(let kept):
            return SyncResponseFrame(id: message.id, response: .kept(Int(kept.count)))
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
