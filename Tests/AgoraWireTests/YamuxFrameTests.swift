import NIOCore
import Testing
@testable import AgoraWire

@Suite struct YamuxFrameTests {
    private func encoded(_ frames: [YamuxFrame]) -> ByteBuffer {
        var buffer = ByteBuffer()
        for frame in frames { frame.encode(into: &buffer) }
        return buffer
    }

    @Test func headerLayoutIsBigEndianPerSpec() {
        let bytes = encoded([.windowUpdate(streamID: 0x0102_0304, flags: [.syn, .fin], delta: 0x0A0B_0C0D)])
        #expect(Array(bytes.readableBytesView) == [0, 1, 0, 5, 1, 2, 3, 4, 0x0A, 0x0B, 0x0C, 0x0D])
    }

    @Test func roundTripsEveryFrameType() throws {
        let frames: [YamuxFrame] = [
            .data(streamID: 3, flags: .fin, payload: ByteBuffer(bytes: [1, 2, 3])),
            .windowUpdate(streamID: 5, flags: .ack, delta: 1000),
            .ping(flags: .syn, opaque: 42),
            .goAway(.protocolError),
        ]
        var decoder = YamuxFrameDecoder()
        decoder.append(encoded(frames))
        var decoded: [YamuxFrame] = []
        while let frame = try decoder.takeFrame(maxDataLength: 16) { decoded.append(frame) }
        #expect(decoded == frames)
        #expect(decoder.bufferedBytes == 0)
    }

    @Test func truncatedInputWaitsForMoreBytes() throws {
        let whole = encoded([.data(streamID: 1, payload: ByteBuffer(bytes: [9, 8, 7, 6]))])
        var decoder = YamuxFrameDecoder()
        for index in 0..<whole.readableBytes - 1 {
            decoder.append(whole.getSlice(at: index, length: 1)!)
            #expect(try decoder.takeFrame(maxDataLength: 100) == nil)
        }
        decoder.append(whole.getSlice(at: whole.readableBytes - 1, length: 1)!)
        let frame = try #require(try decoder.takeFrame(maxDataLength: 100))
        #expect(Array(frame.payload.readableBytesView) == [9, 8, 7, 6])
    }

    @Test func rejectsUnknownVersionAndType() {
        var decoder = YamuxFrameDecoder()
        decoder.append(ByteBuffer(bytes: [1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0]))
        #expect(throws: YamuxError.unsupportedVersion(1)) { try decoder.takeFrame(maxDataLength: 10) }

        var other = YamuxFrameDecoder()
        other.append(ByteBuffer(bytes: [0, 4, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0]))
        #expect(throws: YamuxError.unknownFrameType(4)) { try other.takeFrame(maxDataLength: 10) }
    }

    @Test func oversizedDataFrameIsRejectedFromItsHeaderAlone() {
        var decoder = YamuxFrameDecoder()
        // Announces 4 GiB - 1 but carries nothing: must fail without waiting for the payload.
        decoder.append(ByteBuffer(bytes: [0, 0, 0, 0, 0, 0, 0, 1, 0xFF, 0xFF, 0xFF, 0xFF]))
        #expect(throws: YamuxError.frameTooLarge(length: 0xFFFF_FFFF, limit: 1024)) {
            try decoder.takeFrame(maxDataLength: 1024)
        }
    }
}
