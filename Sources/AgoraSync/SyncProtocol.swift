import AgoraWire
import CoreMetrics

/// The shells of `/agora/sync/1.0.0` over a negotiated stream: frames are varint-length
/// prefixed and never read past `maxFrameLength`; everything else is the machines' job.
public enum SyncProtocol {
    public static let id = "/agora/sync/1.0.0"

    /// Serves one client stream until it closes: one request at a time, so a client that
    /// pipelines more than the stream window holds is slowed by yamux flow control.
    public static func serve(_ stream: P2PStream, source: some SyncLogSource, watcher: LogWatcher, limits: SyncLimits) async throws {
        var held = HeldFeeds()
        while let bytes = try await readFrame(stream, limits: limits) {
            let frame = try SyncCodec.decodeRequest(bytes, limits: limits)
            var answer = try SyncResponder.answer(frame.request, source: source, limits: limits, mayWait: true, held: &held)
            if case .waitForChanges(let after, let millis) = answer {
                let clientGone = await waitForChanges(
                    watcher, beyond: after, timeout: min(.milliseconds(Int(millis)), limits.maxWait), unlessFails: stream
                )
                try Task.checkCancellation()
                if clientGone { return }
                answer = try SyncResponder.answer(frame.request, source: source, limits: limits, mayWait: false, held: &held)
            }
            guard case .reply(let response) = answer else { continue }
            let encoded = SyncCodec.encode(SyncResponseFrame(id: frame.id, response: response))
            try await stream.writeLengthPrefixed(encoded)
            if case .storedEvents(let events, _, _, _) = response { Self.eventsSent.increment(by: events.count) }
            if case .heads(let events, _) = response { Self.eventsSent.increment(by: events.count) }
            Self.bytesSent.increment(by: encoded.count)
        }
    }

    /// Waits for the log to grow past `after` or the timeout, but not for a client whose stream
    /// was reset or whose connection closed (true then): otherwise a peer that asks for a long
    /// poll and drops the connection holds a handler until the timeout, every time.
    private static func waitForChanges(
        _ watcher: LogWatcher, beyond after: UInt64, timeout: Duration, unlessFails stream: P2PStream
    ) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await watcher.wait(beyond: after, timeout: timeout)
                return false
            }
            group.addTask {
                await stream.waitUntilFailed()
                return !Task.isCancelled
            }
            let clientGone = await group.next() ?? false
            group.cancelAll()
            return clientGone
        }
    }

    static let eventsSent = Counter(label: "agora_events_out_total", dimensions: [("protocol", id)])
    static let bytesSent = Counter(label: "agora_bytes_served_total", dimensions: [("protocol", id)])

    /// Runs a client session until the peer closes the stream, the stream fails or the task
    /// is cancelled (a caught-up client waits on the server for news). `progress` sees the
    /// machine when the session starts waiting for the peer (`waiting` true; the machine shows
    /// live only once every append is committed) and when a reply arrives. With `untilCaughtUp` it
    /// returns instead of waiting once the heads are checked and nothing is left to fetch.
    /// One append at a time runs while the next reply is read, decompressed and decoded, so the
    /// writer and the network side work at once; appends still commit in the machine's order.
    public static func follow(
        _ stream: P2PStream, machine: inout SyncClientMachine, source: some SyncLogSource, sink: some SyncSink,
        untilCaughtUp: Bool = false, progress: (SyncClientMachine, _ waiting: Bool) async -> Void
    ) async throws {
        var appending: Task<SyncAppendReport, any Error>?
        /// Waits for the append in flight; a forged event in it ends the session.
        func settle() async throws {
            guard let running = appending else { return }
            appending = nil
            let report = try await running.value
            if let forged = report.forged { throw SyncError.forgedEvent(author: forged.author, seq: forged.seq) }
        }
        do {
            var actions = machine.start()
            while true {
                var index = 0
                while index < actions.count {
                    switch actions[index] {
                    case .send(let frame):
                        try await stream.writeLengthPrefixed(SyncCodec.encode(frame))
                    case .append(let events, let position):
                        try await settle()
                        let peer = stream.remotePeer
                        appending = Task {
                            // A forged or failed batch resets the stream, so a read waiting on a
                            // peer that sends nothing more ends at once.
                            do {
                                let report = try await sink.append(events, recording: position, for: peer)
                                if report.forged != nil { await stream.reset() }
                                return report
                            } catch {
                                await stream.reset()
                                throw error
                            }
                        }
                    case .compareHeads(let authors):
                        try await settle()
                        actions += machine.compared(localSeqs: try source.headSeqs(of: authors))
                    }
                    index += 1
                }
                if untilCaughtUp, machine.headsChecked, machine.lag == 0 {
                    try await settle()
                    await progress(machine, false)
                    return
                }
                // A caught-up session waits on the server: what it appended shows as committed now.
                if machine.headsChecked, machine.lag == 0 { try await settle() }
                await progress(machine, true)
                guard let bytes = try await readFrame(stream, limits: machine.configuration.limits) else {
                    try await settle()
                    return
                }
                let frame = try SyncCodec.decodeResponse(bytes, limits: machine.configuration.limits)
                var holds: [Bool] = []
                if case .events(_, _, _, let held) = frame.response, !held.isEmpty { holds = try source.holds(held) }
                actions = try machine.receive(frame, holds: holds)
                await progress(machine, false)
            }
        } catch {
            // What the batch in flight found (a forgery, a failed commit) is why the session ended.
            try await settle()
            throw error
        }
    }

    static func readFrame(_ stream: P2PStream, limits: SyncLimits) async throws -> [UInt8]? {
        do {
            return try await stream.readLengthPrefixed(maxLength: limits.maxFrameLength)
        } catch P2PStreamError.messageTooLong(let length, let limit) {
            throw SyncError.frameTooLong(length: Int(clamping: length), limit: limit)
        } catch P2PStreamError.malformedLengthPrefix {
            throw SyncError.malformed("frame length prefix")
        }
    }
}
