import CZlib

/// Raw deflate (zip method 8) decoding into a buffer of exactly the size the archive declares.
///
/// The output buffer is the declared size plus one byte, so a stream that would inflate past
/// its declaration fails after writing one extra byte instead of growing: memory is bounded
/// by what the caller already checked against `ZipLimits` before calling.
enum Inflate {
    static func raw(_ input: ArraySlice<UInt8>, declaredSize: Int, path: String) throws(ZipError) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: declaredSize + 1)
        var stream = z_stream()
        let initStatus = inflateInit2_(&stream, -MAX_WBITS, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard initStatus == Z_OK else { throw .unsupported("zlib refused to start inflating (status \(initStatus))") }
        defer { inflateEnd(&stream) }

        let (status, produced, leftover) = input.withContiguousStorageIfAvailable { source in
            output.withUnsafeMutableBufferPointer { target in
                stream.next_in = UnsafeMutablePointer(mutating: source.baseAddress)
                stream.avail_in = UInt32(source.count)
                stream.next_out = target.baseAddress
                stream.avail_out = UInt32(target.count)
                let status = inflate(&stream, Z_FINISH)
                return (status, target.count - Int(stream.avail_out), Int(stream.avail_in))
            }
        } ?? (Z_STREAM_ERROR, 0, 0)

        switch status {
        case _ where produced > declaredSize:
            throw .malformed("\"\(path)\" inflates to more than the \(declaredSize) bytes the archive declares")
        case Z_STREAM_END:
            guard produced == declaredSize else {
                throw .malformed("\"\(path)\" inflates to \(produced) bytes, the archive says \(declaredSize)")
            }
            guard leftover == 0 else {
                throw .malformed("\"\(path)\" has \(leftover) bytes after the end of its deflate stream")
            }
        case Z_BUF_ERROR:
            throw .truncated("deflate stream of \"\(path)\" ends early")
        default:
            throw .malformed("deflate stream of \"\(path)\" is corrupt (zlib status \(status))")
        }
        output.removeLast()
        return output
    }
}
