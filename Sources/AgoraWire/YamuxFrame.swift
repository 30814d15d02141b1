import NIOCore

/// One yamux frame as defined by the hashicorp yamux spec that libp2p's `/yamux/1.0.0` uses.
///
/// `length` is overloaded by the spec: payload size for data frames, window delta for window
/// updates, opaque value for pings and error code for go-away. Only data frames carry a payload.
public struct YamuxFrame: Equatable, Sendable {
    public enum FrameType: UInt8, Sendable {
        case data = 0
        case windowUpdate = 1
        case ping = 2
        case goAway = 3
    }

    public struct Flags: OptionSet, Hashable, Sendable {
        public let rawValue: UInt16
        public init(rawValue: UInt16) { self.rawValue = rawValue }

        public static let syn = Flags(rawValue: 0x1)
        public static let ack = Flags(rawValue: 0x2)
        public static let fin = Flags(rawValue: 0x4)
        public static let rst = Flags(rawValue: 0x8)
    }

    /// The only version the spec defines.
    public static let version: UInt8 = 0
    public static let headerLength = 12

    public var type: FrameType
    public var flags: Flags
    public var streamID: UInt32
    public var length: UInt32
    /// Non-empty only for data frames; its size always equals `length`.
    public var payload: ByteBuffer

    public init(type: FrameType, flags: Flags, streamID: UInt32, length: UInt32, payload: ByteBuffer = ByteBuffer()) {
        self.type = type
        self.flags = flags
        self.streamID = streamID
        self.length = length
        self.payload = payload
    }

    public static func data(streamID: UInt32, flags: Flags = [], payload: ByteBuffer) -> YamuxFrame {
        YamuxFrame(type: .data, flags: flags, streamID: streamID, length: UInt32(payload.readableBytes), payload: payload)
    }

    public static func windowUpdate(streamID: UInt32, flags: Flags = [], delta: UInt32) -> YamuxFrame {
        YamuxFrame(type: .windowUpdate, flags: flags, streamID: streamID, length: delta)
    }

    public static func ping(flags: Flags, opaque: UInt32) -> YamuxFrame {
        YamuxFrame(type: .ping, flags: flags, streamID: 0, length: opaque)
    }

    public static func goAway(_ code: YamuxGoAwayCode) -> YamuxFrame {
        YamuxFrame(type: .goAway, flags: [], streamID: 0, length: code.rawValue)
    }

    /// Writes header and payload; the payload is copied once into `buffer`, which is what
    /// the channel write needs anyway.
    public func encode(into buffer: inout ByteBuffer) {
        buffer.writeInteger(Self.version)
        buffer.writeInteger(type.rawValue)
        buffer.writeInteger(flags.rawValue)
        buffer.writeInteger(streamID)
        buffer.writeInteger(length)
        if type == .data {
            var payload = payload
            buffer.writeBuffer(&payload)
        }
    }
}

/// Error codes carried by a go-away frame.
public enum YamuxGoAwayCode: UInt32, Sendable {
    case normal = 0
    case protocolError = 1
    case internalError = 2
}

/// The fixed-size part of a frame, available before its payload has arrived so that the
/// receiver can check the announced length against its window before buffering anything.
public struct YamuxFrameHeader: Equatable, Sendable {
    public var type: YamuxFrame.FrameType
    public var flags: YamuxFrame.Flags
    public var streamID: UInt32
    public var length: UInt32
}

/// Incremental, bounded frame decoder.
///
/// It keeps at most one partial frame; a data frame whose announced length exceeds the
/// caller's limit is rejected from its header alone, so a peer cannot make us buffer more
/// than the window we granted.
public struct YamuxFrameDecoder: Sendable {
    private var buffer = ByteBuffer()
    private var header: YamuxFrameHeader?

    public init() {}

    /// Bytes held that are not yet part of a returned frame.
    public var bufferedBytes: Int { buffer.readableBytes }

    public mutating func append(_ bytes: ByteBuffer) {
        if buffer.readableBytes == 0 {
            buffer = bytes
        } else {
            var bytes = bytes
            buffer.writeBuffer(&bytes)
        }
    }

    /// The header of the next frame once its 12 bytes have arrived; calling it again returns
    /// the same header until `takeFrame` consumes the frame.
    public mutating func nextHeader() throws(YamuxError) -> YamuxFrameHeader? {
        if let header { return header }
        guard buffer.readableBytes >= YamuxFrame.headerLength,
            let version: UInt8 = buffer.readInteger(),
            let rawType: UInt8 = buffer.readInteger(),
            let rawFlags: UInt16 = buffer.readInteger(),
            let streamID: UInt32 = buffer.readInteger(),
            let length: UInt32 = buffer.readInteger()
        else { return nil }
        guard version == YamuxFrame.version else { throw .unsupportedVersion(version) }
        guard let type = YamuxFrame.FrameType(rawValue: rawType) else { throw .unknownFrameType(rawType) }
        let decoded = YamuxFrameHeader(type: type, flags: YamuxFrame.Flags(rawValue: rawFlags), streamID: streamID, length: length)
        header = decoded
        return decoded
    }

    /// The complete next frame, or nil while bytes are missing. `maxDataLength` bounds the
    /// payload of a data frame; other frame types carry none.
    public mutating func takeFrame(maxDataLength: UInt32) throws(YamuxError) -> YamuxFrame? {
        guard let header = try nextHeader() else { return nil }
        var payload = ByteBuffer()
        if header.type == .data {
            guard header.length <= maxDataLength else {
                throw .frameTooLarge(length: header.length, limit: maxDataLength)
            }
            guard let slice = buffer.readSlice(length: Int(header.length)) else { return nil }
            payload = slice
        }
        self.header = nil
        if buffer.readableBytes == 0 {
            buffer.clear()
        } else if buffer.readerIndex > 64 * 1024 {
            buffer.discardReadBytes()
        }
        return YamuxFrame(type: header.type, flags: header.flags, streamID: header.streamID, length: header.length, payload: payload)
    }
}
