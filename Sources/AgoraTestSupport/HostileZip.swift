import AgoraCore

/// Archives no writer of ours would produce, for tests of the readers' refusals.
public enum HostileZip {
    /// Writes `entries` with the stored writer, then rewrites every occurrence of `original` in
    /// the bytes (local and central names) to `hostile`, which must be as long.
    public static func renaming(_ original: String, to hostile: String, in entries: [ZipEntry]) throws -> [UInt8] {
        var bytes = try ZipWriter.write(entries)
        let from = Array(original.utf8)
        let to = Array(hostile.utf8)
        precondition(from.count == to.count, "a renamed entry keeps its length")
        var index = 0
        while index + from.count <= bytes.count {
            if bytes[index..<(index + from.count)].elementsEqual(from) {
                bytes.replaceSubrange(index..<(index + from.count), with: to)
            }
            index += 1
        }
        return bytes
    }
}
