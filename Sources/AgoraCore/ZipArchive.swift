/// One regular file in a zip archive. Archives hold files only: directories are implied by
/// paths, and links are refused, so extracting can never write outside its target.
public struct ZipEntry: Sendable, Hashable {
    /// Relative, `/`-separated.
    public var path: String
    public var data: [UInt8]
    public var isExecutable: Bool

    public init(path: String, data: [UInt8], isExecutable: Bool = false) {
        self.path = path
        self.data = data
        self.isExecutable = isExecutable
    }
}

/// Bounds applied both when writing and when reading, so anything we can publish we can also read back.
/// Sizes: a 100 MiB package fits (issue 8 asks for one) with room for the zip's own records;
/// extraction holds an archive and its contents in memory, so the defaults stay far below
/// the blob layer's 512 MiB ceiling (`StoreLimits.maxBlobSize`, `BlobProtocol.maxBlobSize`).
/// Zip bombs are refused by the declared sizes (per file, in total) and the ratio, all checked
/// before anything is inflated.
public struct ZipLimits: Sendable, Hashable {
    public var maxArchiveSize = 128 * 1024 * 1024
    public var maxEntries = 10_000
    public var maxEntrySize = 64 * 1024 * 1024
    public var maxTotalSize = 128 * 1024 * 1024
    public var maxPathLength = 1024
    /// Deflated contents may expand at most this many times the archive's size, once they
    /// exceed `ratioExemptSize`: zip bombs rely on ratios near deflate's 1032:1, source code
    /// rarely passes 10:1.
    public var maxCompressionRatio = 100
    public var ratioExemptSize = 4 * 1024 * 1024

    public init() {}
}

public enum ZipError: Error, Equatable, Sendable, CustomStringConvertible {
    case archiveTooLarge(size: Int, limit: Int)
    case entryTooLarge(path: String, size: Int, limit: Int)
    case totalTooLarge(limit: Int)
    case compressionRatio(archiveSize: Int, contentSize: Int, limit: Int)
    case tooManyEntries(count: Int, limit: Int)
    case truncated(String)
    case malformed(String)
    case unsupported(String)
    case unsafePath(path: String, reason: String)
    case duplicatePath(String)
    case symlink(String)
    case checksumMismatch(path: String, expected: UInt32, actual: UInt32)

    public var description: String {
        switch self {
        case .archiveTooLarge(let size, let limit): "archive is \(size) bytes, over the \(limit)-byte limit"
        case .entryTooLarge(let path, let size, let limit): "\"\(path)\" is \(size) bytes, over the \(limit)-byte per-file limit"
        case .totalTooLarge(let limit): "archive contents exceed the \(limit)-byte total limit"
        case .compressionRatio(let archiveSize, let contentSize, let limit):
            "a \(archiveSize)-byte archive declares \(contentSize) bytes of contents, over \(limit) times its size (a zip bomb?)"
        case .tooManyEntries(let count, let limit): "archive has \(count) entries, over the limit of \(limit)"
        case .truncated(let what): "archive is truncated: \(what)"
        case .malformed(let what): "archive is malformed: \(what)"
        case .unsupported(let what): "unsupported archive feature: \(what)"
        case .unsafePath(let path, let reason): "unsafe path \"\(path)\" in archive: \(reason)"
        case .duplicatePath(let path): "archive holds \"\(path)\" more than once"
        case .symlink(let path): "archive entry \"\(path)\" is a symbolic link, which is not allowed"
        case .checksumMismatch(let path, let expected, let actual):
            "CRC-32 of \"\(path)\" is \(hex(actual)), the archive says \(hex(expected))"
        }
    }

    private func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return "0x" + String(repeating: "0", count: 8 - digits.count) + digits
    }
}

/// Path rules shared by the writer and the reader.
enum ZipPath {
    static func validate(_ path: String, limits: ZipLimits) throws(ZipError) {
        func unsafe(_ reason: String) -> ZipError { .unsafePath(path: path, reason: reason) }
        guard !path.isEmpty else { throw unsafe("empty path") }
        guard path.utf8.count <= limits.maxPathLength else { throw unsafe("longer than \(limits.maxPathLength) bytes") }
        guard !path.hasPrefix("/") else { throw unsafe("absolute path") }
        guard !path.contains("\\") else { throw unsafe("contains a backslash") }
        guard !path.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) else {
            throw unsafe("contains a control character")
        }
        let components = path.split(separator: "/", omittingEmptySubsequences: false)
        if let first = components.first, first.count >= 2, first.dropFirst().first == ":" {
            throw unsafe("starts with a drive letter")
        }
        for (index, component) in components.enumerated() {
            if component.isEmpty, index == components.count - 1, index > 0 { continue }
            guard !component.isEmpty else { throw unsafe("empty path component") }
            guard component != "..", component != "." else { throw unsafe("contains \"\(component)\"") }
        }
    }

    /// Orders paths by their UTF-8 bytes, which no locale setting can change.
    static func precedes(_ left: String, _ right: String) -> Bool {
        left.utf8.lexicographicallyPrecedes(right.utf8)
    }

    /// Refuses exact duplicates, names that differ only in case (they collide on macOS
    /// and Windows file systems), and a file that is also a parent directory of another.
    static func checkCollisions(_ paths: [String], directories explicit: [String] = []) throws(ZipError) {
        var files: [String: String] = [:]
        var directories: Set<String> = []
        for directory in explicit {
            guard directories.insert(PackageIdentity.asciiLowercased(directory)).inserted else {
                throw .duplicatePath(directory + "/")
            }
        }
        for path in paths {
            let folded = PackageIdentity.asciiLowercased(path)
            if files[folded] != nil { throw .duplicatePath(path) }
            files[folded] = path
            var prefix = ""
            for component in folded.split(separator: "/").dropLast() {
                prefix += component + "/"
                directories.insert(String(prefix.dropLast()))
            }
        }
        for (folded, path) in files where directories.contains(folded) {
            throw .unsafePath(path: path, reason: "is both a file and a directory")
        }
    }
}

/// Writes zip archives whose bytes depend only on the entries: sorted paths, the stored
/// method, a fixed 1980-01-01 00:00 timestamp, modes 0644/0755, no extra fields. The same
/// files therefore always give the same SHA-256, whoever packs them and whenever.
public enum ZipWriter {
    static let versionMadeBy: UInt16 = 0x0314  // Unix, zip 2.0: external attributes carry a Unix mode.
    static let versionNeeded: UInt16 = 20
    static let utf8Flag: UInt16 = 0x0800
    static let dosTime: UInt16 = 0
    static let dosDate: UInt16 = (0 << 9) | (1 << 5) | 1

    public static func write(_ entries: [ZipEntry], limits: ZipLimits = ZipLimits()) throws(ZipError) -> [UInt8] {
        guard entries.count <= limits.maxEntries else {
            throw .tooManyEntries(count: entries.count, limit: limits.maxEntries)
        }
        let sorted = entries.sorted { ZipPath.precedes($0.path, $1.path) }
        var total = 0
        for entry in sorted {
            try ZipPath.validate(entry.path, limits: limits)
            guard !entry.path.hasSuffix("/") else {
                throw .unsafePath(path: entry.path, reason: "directory entries are implied, not written")
            }
            guard entry.data.count <= limits.maxEntrySize else {
                throw .entryTooLarge(path: entry.path, size: entry.data.count, limit: limits.maxEntrySize)
            }
            total += entry.data.count
            guard total <= limits.maxTotalSize else { throw .totalTooLarge(limit: limits.maxTotalSize) }
        }
        try ZipPath.checkCollisions(sorted.map(\.path))

        var out: [UInt8] = []
        var central: [UInt8] = []
        for entry in sorted {
            let name = Array(entry.path.utf8)
            let crc = CRC32.checksum(entry.data)
            let size = UInt32(entry.data.count)
            let offset = UInt32(out.count)
            out.appendLE(UInt32(0x0403_4b50))
            out.appendLE(versionNeeded)
            out.appendLE(utf8Flag)
            out.appendLE(UInt16(0))
            out.appendLE(dosTime)
            out.appendLE(dosDate)
            out.appendLE(crc)
            out.appendLE(size)
            out.appendLE(size)
            out.appendLE(UInt16(name.count))
            out.appendLE(UInt16(0))
            out += name
            out += entry.data

            let mode: UInt32 = entry.isExecutable ? 0o100755 : 0o100644
            central.appendLE(UInt32(0x0201_4b50))
            central.appendLE(versionMadeBy)
            central.appendLE(versionNeeded)
            central.appendLE(utf8Flag)
            central.appendLE(UInt16(0))
            central.appendLE(dosTime)
            central.appendLE(dosDate)
            central.appendLE(crc)
            central.appendLE(size)
            central.appendLE(size)
            central.appendLE(UInt16(name.count))
            central.appendLE(UInt16(0))
            central.appendLE(UInt16(0))
            central.appendLE(UInt16(0))
            central.appendLE(UInt16(0))
            central.appendLE(mode << 16)
            central.appendLE(offset)
            central += name
        }
        let centralOffset = UInt32(out.count)
        out += central
        out.appendLE(UInt32(0x0605_4b50))
        out.appendLE(UInt16(0))
        out.appendLE(UInt16(0))
        out.appendLE(UInt16(sorted.count))
        out.appendLE(UInt16(sorted.count))
        out.appendLE(UInt32(central.count))
        out.appendLE(centralOffset)
        out.appendLE(UInt16(0))
        guard out.count <= limits.maxArchiveSize else {
            throw .archiveTooLarge(size: out.count, limit: limits.maxArchiveSize)
        }
        return out
    }
}

/// Reads zip archives defensively: everything is located through the central directory,
/// every local header must agree with it, entries may not overlap, declared sizes are checked
/// against the limits (and deflated ones against the ratio limit) before any data is copied or
/// inflated, inflation never writes past the declared size, and each CRC is verified.
/// Entries are stored or deflated (what `zip` and SwiftPM write); the archive bytes themselves
/// are never rewritten, so their SHA-256 is the client's.
public enum ZipReader {
    public static func read(_ bytes: [UInt8], limits: ZipLimits = ZipLimits()) throws(ZipError) -> [ZipEntry] {
        guard bytes.count <= limits.maxArchiveSize else {
            throw .archiveTooLarge(size: bytes.count, limit: limits.maxArchiveSize)
        }
        let end = try endOfCentralDirectory(bytes)
        guard end.entries <= limits.maxEntries else { throw .tooManyEntries(count: end.entries, limit: limits.maxEntries) }

        var records: [CentralRecord] = []
        var cursor = end.directoryOffset
        for index in 0..<end.entries {
            let record = try CentralRecord(bytes, at: cursor, directoryEnd: end.directoryEnd, index: index, limits: limits)
            records.append(record)
            cursor = record.next
        }
        guard cursor == end.directoryEnd else {
            throw .malformed("central directory holds \(end.directoryEnd - cursor) bytes after its last entry")
        }

        var total = 0
        for record in records where !record.isDirectory {
            guard record.size <= limits.maxEntrySize else {
                throw .entryTooLarge(path: record.path, size: record.size, limit: limits.maxEntrySize)
            }
            total += record.size
            guard total <= limits.maxTotalSize else { throw .totalTooLarge(limit: limits.maxTotalSize) }
        }
        let (ratioBound, overflow) = bytes.count.multipliedReportingOverflow(by: limits.maxCompressionRatio)
        if total > limits.ratioExemptSize, !overflow, total > ratioBound {
            throw .compressionRatio(archiveSize: bytes.count, contentSize: total, limit: limits.maxCompressionRatio)
        }
        try ZipPath.checkCollisions(
            records.filter { !$0.isDirectory }.map(\.path),
            directories: records.filter(\.isDirectory).map { String($0.path.dropLast()) })

        var spans: [(start: Int, end: Int, path: String)] = []
        var entries: [ZipEntry] = []
        for record in records {
            let dataStart = try localHeader(bytes, for: record, directoryOffset: end.directoryOffset)
            spans.append((record.localOffset, dataStart + record.compressedSize, record.path))
            guard !record.isDirectory else { continue }
            let stored = bytes[dataStart..<(dataStart + record.compressedSize)]
            let data = try record.method == ZipReader.deflated
                ? Inflate.raw(stored, declaredSize: record.size, path: record.path) : Array(stored)
            let actual = CRC32.checksum(data)
            guard actual == record.crc else { throw .checksumMismatch(path: record.path, expected: record.crc, actual: actual) }
            entries.append(ZipEntry(path: record.path, data: data, isExecutable: record.isExecutable))
        }
        spans.sort { $0.start < $1.start }
        for (previous, next) in zip(spans, spans.dropFirst()) where next.start < previous.end {
            throw .malformed("entries \"\(previous.path)\" and \"\(next.path)\" overlap")
        }
        return entries
    }

    static let stored: UInt16 = 0
    static let deflated: UInt16 = 8

    struct End {
        let entries: Int
        let directoryOffset: Int
        let directoryEnd: Int
    }

    static func endOfCentralDirectory(_ bytes: [UInt8]) throws(ZipError) -> End {
        guard bytes.count >= 22 else { throw .truncated("\(bytes.count) bytes is too short for a zip archive") }
        let lowest = max(0, bytes.count - 22 - 0xFFFF)
        var position = bytes.count - 22
        while position >= lowest {
            if bytes.readLE32(position) == 0x0605_4b50, Int(bytes.readLE16(position + 20)) == bytes.count - position - 22 {
                break
            }
            position -= 1
        }
        guard position >= lowest else { throw .truncated("end of central directory record not found") }
        let disk = bytes.readLE16(position + 4)
        let directoryDisk = bytes.readLE16(position + 6)
        let onDisk = bytes.readLE16(position + 8)
        let entries = bytes.readLE16(position + 10)
        let size = bytes.readLE32(position + 12)
        let offset = bytes.readLE32(position + 16)
        guard disk == 0, directoryDisk == 0, onDisk == entries else { throw .unsupported("multi-disk archive") }
        guard entries != 0xFFFF, size != 0xFFFF_FFFF, offset != 0xFFFF_FFFF else { throw .unsupported("zip64") }
        let directoryEnd = Int(offset) + Int(size)
        guard directoryEnd <= position else {
            throw .truncated("central directory (\(offset)+\(size)) runs past its end record at \(position)")
        }
        return End(entries: Int(entries), directoryOffset: Int(offset), directoryEnd: directoryEnd)
    }

    struct CentralRecord {
        let path: String
        let nameBytes: ArraySlice<UInt8>
        let flags: UInt16
        let method: UInt16
        let crc: UInt32
        /// Uncompressed.
        let size: Int
        let compressedSize: Int
        let localOffset: Int
        let isDirectory: Bool
        let isExecutable: Bool
        let next: Int

        init(_ bytes: [UInt8], at start: Int, directoryEnd: Int, index: Int, limits: ZipLimits) throws(ZipError) {
            guard start + 46 <= directoryEnd else { throw .truncated("central directory entry \(index)") }
            guard bytes.readLE32(start) == 0x0201_4b50 else {
                throw .malformed("bad signature for central directory entry \(index)")
            }
            let madeBy = bytes.readLE16(start + 4)
            flags = bytes.readLE16(start + 8)
            method = bytes.readLE16(start + 10)
            crc = bytes.readLE32(start + 16)
            let compressed = bytes.readLE32(start + 20)
            let uncompressed = bytes.readLE32(start + 24)
            let nameLength = Int(bytes.readLE16(start + 28))
            let extraLength = Int(bytes.readLE16(start + 30))
            let commentLength = Int(bytes.readLE16(start + 32))
            let diskStart = bytes.readLE16(start + 34)
            let external = bytes.readLE32(start + 38)
            let offset = bytes.readLE32(start + 42)
            next = start + 46 + nameLength + extraLength + commentLength
            guard next <= directoryEnd else { throw .truncated("central directory entry \(index)") }
            nameBytes = bytes[(start + 46)..<(start + 46 + nameLength)]
            guard let name = String(validating: nameBytes, as: UTF8.self) else {
                throw .malformed("entry \(index) has a name that is not UTF-8")
            }
            path = name
            try ZipPath.validate(name, limits: limits)
            guard flags & 0x0041 == 0 else { throw .unsupported("encrypted entry \"\(name)\"") }
            guard method == ZipReader.stored || method == ZipReader.deflated else {
                throw .unsupported("compression method \(method) for \"\(name)\" (only stored and deflated entries are accepted)")
            }
            guard diskStart == 0 else { throw .unsupported("multi-disk archive") }
            guard compressed != 0xFFFF_FFFF, uncompressed != 0xFFFF_FFFF, offset != 0xFFFF_FFFF else {
                throw .unsupported("zip64 entry \"\(name)\"")
            }
            guard method != ZipReader.stored || compressed == uncompressed else {
                throw .malformed("stored entry \"\(name)\" has different compressed and uncompressed sizes")
            }
            size = Int(uncompressed)
            compressedSize = Int(compressed)
            localOffset = Int(offset)
            let unixMode = madeBy >> 8 == 3 ? external >> 16 : 0
            switch unixMode & 0o170000 {
            case 0o120000: throw .symlink(name)
            case 0, 0o100000, 0o040000: break
            default: throw .unsupported("special file \"\(name)\" (mode \(String(unixMode, radix: 8)))")
            }
            isDirectory = name.hasSuffix("/")
            // An empty deflate stream is two bytes.
            guard !isDirectory || (size == 0 && compressedSize <= 2) else {
                throw .malformed("directory entry \"\(name)\" has data")
            }
            guard isDirectory || unixMode & 0o170000 != 0o040000 else {
                throw .malformed("entry \"\(name)\" is marked as a directory but has no trailing slash")
            }
            isExecutable = unixMode & 0o111 != 0
        }
    }

    /// Checks a local header against its central record and returns where its data starts.
    static func localHeader(_ bytes: [UInt8], for record: CentralRecord, directoryOffset: Int) throws(ZipError) -> Int {
        let start = record.localOffset
        guard start + 30 <= directoryOffset else { throw .truncated("local header of \"\(record.path)\"") }
        guard bytes.readLE32(start) == 0x0403_4b50 else {
            throw .malformed("bad local header signature for \"\(record.path)\"")
        }
        let flags = bytes.readLE16(start + 6)
        let method = bytes.readLE16(start + 8)
        let crc = bytes.readLE32(start + 14)
        let compressed = bytes.readLE32(start + 18)
        let uncompressed = bytes.readLE32(start + 22)
        let nameLength = Int(bytes.readLE16(start + 26))
        let extraLength = Int(bytes.readLE16(start + 28))
        let dataStart = start + 30 + nameLength + extraLength
        guard dataStart + record.compressedSize <= directoryOffset else { throw .truncated("data of \"\(record.path)\"") }
        func mismatch(_ field: String) -> ZipError {
            .malformed("local header of \"\(record.path)\" disagrees with the central directory on \(field)")
        }
        guard flags == record.flags else { throw mismatch("flags") }
        guard method == record.method else { throw mismatch("compression method") }
        guard bytes[(start + 30)..<(start + 30 + nameLength)] == record.nameBytes else { throw mismatch("name") }
        // With a data descriptor (flag bit 3) the local header may leave CRC and sizes as zero.
        let deferred = flags & 0x0008 != 0 && crc == 0 && compressed == 0 && uncompressed == 0
        if !deferred {
            guard crc == record.crc else { throw mismatch("CRC-32") }
            guard Int(compressed) == record.compressedSize, Int(uncompressed) == record.size else { throw mismatch("size") }
        }
        return dataStart
    }
}

extension [UInt8] {
    mutating func appendLE(_ value: UInt16) {
        append(UInt8(truncatingIfNeeded: value))
        append(UInt8(truncatingIfNeeded: value >> 8))
    }

    mutating func appendLE(_ value: UInt32) {
        for shift in stride(from: 0, to: 32, by: 8) { append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) }
    }

    /// Callers check bounds first; these read fixed-width little-endian fields.
    func readLE16(_ offset: Int) -> UInt16 {
        UInt16(self[offset]) | UInt16(self[offset + 1]) << 8
    }

    func readLE32(_ offset: Int) -> UInt32 {
        UInt32(self[offset]) | UInt32(self[offset + 1]) << 8 | UInt32(self[offset + 2]) << 16 | UInt32(self[offset + 3]) << 24
    }
}
