import NIOConcurrencyHelpers
import NIOCore

/// One yamux stream, for protocol code running in Swift concurrency.
///
/// Calls hop to the connection's event loop, where all state lives. At most one `read` and
/// one `write` may be outstanding at a time. Close (`closeWrite` and read to the end) or
/// `reset` every stream: an abandoned open stream keeps its window of buffer and its slot in
/// the session's stream limit until the connection ends.
public final class YamuxStream: Sendable {
    public let id: UInt32
    private let state: NIOLoopBound<YamuxStreamState>
    private let handler: NIOLoopBound<YamuxHandler>
    /// The session's end, set on the event loop when the connection closes. Checked before
    /// writes: event loops close their channels before they stop, so once a loop no longer
    /// runs jobs this is set, and a write fails instead of suspending forever. Reads still hop,
    /// because data the peer sent before closing stays readable after the close.
    private let closed: NIOLockedValueBox<YamuxError?>
    private let failureWaitIDs = NIOLockedValueBox<UInt64>(0)

    init(state: NIOLoopBound<YamuxStreamState>, handler: NIOLoopBound<YamuxHandler>, closed: NIOLockedValueBox<YamuxError?>) {
        self.id = state.value.id
        self.state = state
        self.handler = handler
        self.closed = closed
    }

    private func checkOpen() throws {
        if let error = closed.withLockedValue({ $0 }) { throw error }
    }

    private var eventLoop: any EventLoop { state.eventLoop }

    /// The next chunk of data, or nil once the peer has half-closed and everything before
    /// its FIN has been read. Reading is what returns window credit to the sender.
    /// Cancelling the calling task resets the stream (a half-read stream cannot be resumed
    /// by anyone else) and throws `CancellationError`.
    public func read() async throws -> ByteBuffer? {
        let state = self.state
        let handler = self.handler
        return try await resettingOnCancel {
            try await withCheckedThrowingContinuation { continuation in
                state.eventLoop.execute {
                    handler.value.read(state.value, continuation: continuation)
                }
            }
        }
    }

    /// Returns once all of `data` is framed and the connection can take more; suspends
    /// while the peer's window is exhausted. Cancelling the calling task resets the stream
    /// and throws `CancellationError`.
    public func write(_ data: ByteBuffer) async throws {
        try checkOpen()
        let state = self.state
        let handler = self.handler
        try await resettingOnCancel {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                state.eventLoop.execute {
                    handler.value.write(data, on: state.value, continuation: continuation)
                }
            }
        }
    }

    /// Runs a suspended stream operation so that task cancellation wakes it: the reset
    /// fails the pending continuation, which is then reported as the cancellation it is.
    private func resettingOnCancel<T: Sendable>(_ operation: () async throws -> T) async throws -> T {
        do {
            return try await withTaskCancellationHandler(operation: operation, onCancel: { reset() })
        } catch YamuxError.streamReset where Task.isCancelled {
            throw CancellationError()
        }
    }

    /// Returns once the stream is reset or its connection ends, or once the calling task is
    /// cancelled, which (unlike cancelling a read) leaves the stream as it is. A server that
    /// holds a request open (a long poll) races this against its wait, so a client that has
    /// gone does not keep a handler alive. A half-close does not count: a client that has
    /// sent its last request may still read the answer.
    public func waitUntilFailed() async {
        guard closed.withLockedValue({ $0 }) == nil else { return }
        let id = failureWaitIDs.withLockedValue { next in
            next &+= 1
            return next
        }
        let state = self.state
        let handler = self.handler
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                state.eventLoop.execute {
                    handler.value.awaitFailure(state.value, wait: id, continuation: continuation)
                }
            }
        } onCancel: {
            state.eventLoop.execute {
                handler.value.cancelFailureWait(state.value, wait: id)
            }
        }
    }

    /// Half-closes: the peer reads to the end of what we wrote; we can still read.
    public func closeWrite() async throws {
        try checkOpen()
        let state = self.state
        let handler = self.handler
        try await eventLoop.submit {
            try handler.value.closeWrite(state.value)
        }.get()
    }

    /// Aborts both directions at once; pending reads and writes fail with `streamReset`.
    public func reset() {
        // Nothing left to reset, and the loop may be gone (hopping would log an error per call).
        guard closed.withLockedValue({ $0 }) == nil else { return }
        let state = self.state
        let handler = self.handler
        eventLoop.execute {
            handler.value.reset(state.value)
        }
    }

    /// Unread bytes buffered for this stream; never more than the receive window.
    public func bufferedByteCount() async throws -> Int {
        let state = self.state
        return try await eventLoop.submit { state.value.bufferedBytes }.get()
    }
}
