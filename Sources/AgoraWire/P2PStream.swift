import NIOCore

/// Errors of the framing helpers on a negotiated stream.
public enum P2PStreamError: Error, Equatable, Sendable, CustomStringConvertible {
    case messageTooLong(length: UInt64, limit: Int)
    case malformedLengthPrefix
    case unexpectedEnd(expected: Int, got: Int)

    public var description: String {
        switch self {
        case .messageTooLong(let length, let limit): return "stream: message of \(length) bytes exceeds the limit of \(limit)"
        case .malformedLengthPrefix: return "stream: malformed varint length prefix"
        case .unexpectedEnd(let expected, let got): return "stream: ended after \(got) of \(expected) bytes"
        }
    }
}

/// A yamux stream on which a protocol has been agreed: what protocol handlers and
/// `P2PHost.newStream` hand out. It remembers bytes that arrived with the last negotiation
/// message and adds the framing libp2p protocols share (varint length prefixes).
///
/// An actor so a handler may read in one task and write in another; as with the
/// underlying stream, one read and one write at a time.
public actor P2PStream {
    public nonisolated let protocolID: String
    public nonisolated let remotePeer: PeerID
    /// The remote end of the connection as we see it (its TCP address).
    public nonisolated let remoteAddress: Multiaddr?
    public nonisolated let stream: YamuxStream
    private var pending: ByteBuffer?
    private var writeClosed = false
    private var readEnded = false
    /// Tells the connection manager the stream is over, so idle connections can be found.
    private var onFinish: (@Sendable () -> Void)?

    init(
        stream: YamuxStream, protocolID: String, remotePeer: PeerID, remoteAddress: Multiaddr?,
        leftover: [UInt8], onFinish: (@Sendable () -> Void)? = nil
    ) {
        self.stream = stream
        self.protocolID = protocolID
        self.remotePeer = remotePeer
        self.remoteAddress = remoteAddress
        self.pending = leftover.isEmpty ? nil : ByteBuffer(bytes: leftover)
        self.onFinish = onFinish
    }

    /// The next chunk, or nil once the peer has closed its write side.
    public func read() async throws -> ByteBuffer? {
        if let pending, pending.readableBytes > 0 {
            self.pending = nil
            return pending
        }
        do {
            guard let chunk = try await stream.read() else {
                readEnded = true
                if writeClosed { finish() }
                return nil
            }
            return chunk
        } catch {
            finish()
            throw error
        }
    }

    /// Exactly `count` bytes; fails if the stream ends first.
    public func readExactly(_ count: Int) async throws -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(count)
        while out.count < count {
            guard var chunk = try await read() else {
                throw P2PStreamError.unexpectedEnd(expected: count, got: out.count)
            }
            let take = min(count - out.count, chunk.readableBytes)
            out += chunk.readBytes(length: take) ?? []
            if chunk.readableBytes > 0 { pending = chunk }
        }
        return out
    }

    /// One `varint(length) ‖ bytes` message, or nil if the stream ended cleanly before it.
    public func readLengthPrefixed(maxLength: Int) async throws -> [UInt8]? {
        var length: UInt64 = 0
        var shift: UInt64 = 0
        for index in 0..<10 {
            guard var chunk = try await read() else {
                if index == 0 { return nil }
                throw P2PStreamError.malformedLengthPrefix
            }
            guard let byte = chunk.readInteger(as: UInt8.self) else { continue }
            if chunk.readableBytes > 0 { pending = chunk }
            length |= UInt64(byte & 0x7f) << shift
            if byte & 0x80 == 0 {
                guard length <= UInt64(maxLength) else {
                    throw P2PStreamError.messageTooLong(length: length, limit: maxLength)
                }
                return try await readExactly(Int(length))
            }
            shift += 7
        }
        throw P2PStreamError.malformedLengthPrefix
    }

    /// Everything until the peer closes its write side, at most `maxLength` bytes.
    public func readToEnd(maxLength: Int) async throws -> [UInt8] {
        var out: [UInt8] = []
        while let chunk = try await read() {
            guard out.count + chunk.readableBytes <= maxLength else {
                throw P2PStreamError.messageTooLong(length: UInt64(out.count + chunk.readableBytes), limit: maxLength)
            }
            out += chunk.readableBytesView
        }
        return out
    }

    public nonisolated func write(_ buffer: ByteBuffer) async throws {
        try await stream.write(buffer)
    }

    public nonisolated func write(_ bytes: [UInt8]) async throws {
        try await stream.write(ByteBuffer(bytes: bytes))
    }

    public nonisolated func writeLengthPrefixed(_ bytes: [UInt8]) async throws {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(bytes.count + 10)
        var length = UInt64(bytes.count)
        while length >= 0x80 {
            buffer.writeInteger(UInt8(truncatingIfNeeded: length) | 0x80)
            length >>= 7
        }
        buffer.writeInteger(UInt8(length))
        buffer.writeBytes(bytes)
        try await stream.write(buffer)
    }

    /// See `YamuxStream.waitUntilFailed`: for a handler holding a request open.
    public nonisolated func waitUntilFailed() async {
        await stream.waitUntilFailed()
    }

    /// Half-closes: we will write no more; reading continues.
    public func closeWrite() async throws {
        writeClosed = true
        do {
            try await stream.closeWrite()
        } catch {
            finish()
            throw error
        }
        if readEnded { finish() }
    }

    /// Aborts both directions; unread data on either side is dropped.
    public func reset() {
        stream.reset()
        finish()
    }

    /// Marks the stream over for bookkeeping without touching the wire (the handler
    /// returned and the shell has closed what it had to).
    func release() {
        finish()
    }

    private func finish() {
        let callback = onFinish
        onFinish = nil
        callback?()
    }
}
