import CZstd

/// zstd for single blob chunks. A chunk is kept compressed only when that saves space, so
/// archives that are already compressed cost no decompression on read.
enum ZstdChunk {
    static let level: Int32 = 3

    /// A compression context for `compress`: frames carry zstd's content checksum, so a
    /// damaged chunk fails to decompress by itself and `verify --deep` can name it, where the
    /// blob's SHA-256 alone only says that some chunk is wrong. Frames written without it
    /// (older stores) decode the same way.
    static func makeContext() -> OpaquePointer? {
        guard let context = ZSTD_createCCtx() else { return nil }
        guard ZSTD_isError(ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, level)) == 0,
              ZSTD_isError(ZSTD_CCtx_setParameter(context, ZSTD_c_checksumFlag, 1)) == 0
        else {
            ZSTD_freeCCtx(context)
            return nil
        }
        return context
    }

    /// The compressed frame, or nil when it would not be smaller than the input.
    static func compress(_ input: UnsafeRawBufferPointer, context: OpaquePointer) -> [UInt8]? {
        guard input.count > 0 else { return nil }
        let bound = ZSTD_compressBound(input.count)
        let out = [UInt8](unsafeUninitializedCapacity: bound) { buffer, count in
            let written = ZSTD_compress2(context, buffer.baseAddress, bound, input.baseAddress, input.count)
            count = ZSTD_isError(written) != 0 ? 0 : written
        }
        guard !out.isEmpty, out.count < input.count else { return nil }
        return out
    }

    /// Decompresses into `output`, which must be exactly the chunk's raw size.
    static func decompress(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws {
        let written = ZSTD_decompress(output.baseAddress, output.count, input.baseAddress, input.count)
        if ZSTD_isError(written) != 0 {
            throw StoreError.corrupt("blob chunk does not decompress: \(String(cString: ZSTD_getErrorName(written)))")
        }
        guard written == output.count else {
            throw StoreError.corrupt("blob chunk decompressed to \(written) bytes, expected \(output.count)")
        }
    }
}
