import Testing
@testable import AgoraCore

/// Builds raw zip bytes without the writer's checks, to feed the reader hostile input.
struct RawZip {
    struct Item {
        var name: String
        var data: [UInt8]
        var mode: UInt32 = 0o100644
        var method: UInt16 = 0
        var crc: UInt32?
        /// The bytes written for the entry when they are not `data` itself (a deflate stream).
        var stored: [UInt8]?
        /// The uncompressed size written, when it should lie.
        var declaredSize: UInt32?
    }

    static func build(_ items: [Item]) -> [UInt8] {
        var out: [UInt8] = []
        var central: [UInt8] = []
        for item in items {
            let name = Array(item.name.utf8)
            let crc = item.crc ?? CRC32.checksum(item.data)
            let stored = item.stored ?? item.data
            let size = item.declaredSize ?? UInt32(item.data.count)
            let offset = UInt32(out.count)
            out.appendLE(UInt32(0x0403_4b50)); out.appendLE(UInt16(20)); out.appendLE(UInt16(0x0800))
            out.appendLE(item.method); out.appendLE(UInt16(0)); out.appendLE(UInt16(0x21))
            out.appendLE(crc); out.appendLE(UInt32(stored.count)); out.appendLE(size)
            out.appendLE(UInt16(name.count)); out.appendLE(UInt16(0))
            out += name + stored
            central.appendLE(UInt32(0x0201_4b50)); central.appendLE(UInt16(0x0314)); central.appendLE(UInt16(20))
            central.appendLE(UInt16(0x0800)); central.appendLE(item.method); central.appendLE(UInt16(0))
            central.appendLE(UInt16(0x21)); central.appendLE(crc)
            central.appendLE(UInt32(stored.count)); central.appendLE(size)
            central.appendLE(UInt16(name.count)); central.appendLE(UInt16(0)); central.appendLE(UInt16(0))
            central.appendLE(UInt16(0)); central.appendLE(UInt16(0)); central.appendLE(item.mode << 16)
            central.appendLE(offset)
            central += name
        }
        let centralOffset = UInt32(out.count)
        out += central
        out.appendLE(UInt32(0x0605_4b50)); out.appendLE(UInt16(0)); out.appendLE(UInt16(0))
        out.appendLE(UInt16(items.count)); out.appendLE(UInt16(items.count))
        out.appendLE(UInt32(central.count)); out.appendLE(centralOffset); out.appendLE(UInt16(0))
        return out
    }
}

@Suite struct ZipArchiveTests {
    let files = [
        ZipEntry(path: "pkg/src/b.c", data: Array("int b;".utf8)),
        ZipEntry(path: "pkg/README.md", data: Array("# hi\n".utf8)),
        ZipEntry(path: "pkg/tools/run.sh", data: Array("#!/bin/sh\n".utf8), isExecutable: true),
        ZipEntry(path: "pkg/empty", data: []),
    ]

    @Test func crc32KnownValues() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(CRC32.checksum([UInt8]()) == 0)
    }

    @Test func roundTripsAndSortsEntries() throws {
        let bytes = try ZipWriter.write(files)
        let read = try ZipReader.read(bytes)
        #expect(read.map(\.path) == ["pkg/README.md", "pkg/empty", "pkg/src/b.c", "pkg/tools/run.sh"])
        #expect(Set(read) == Set(files))
        #expect(read.first { $0.path == "pkg/tools/run.sh" }?.isExecutable == true)
        #expect(read.first { $0.path == "pkg/README.md" }?.isExecutable == false)
    }

    @Test func outputIsDeterministicWhateverTheInputOrder() throws {
        let first = try ZipWriter.write(files)
        let second = try ZipWriter.write(files.reversed())
        #expect(first == second)
        #expect(try ZipWriter.write(files.shuffled()) == first)
    }

    @Test func writesTheFixedHeaderFields() throws {
        let bytes = try ZipWriter.write([ZipEntry(path: "a/x", data: [1, 2, 3], isExecutable: true)])
        #expect(bytes.readLE32(0) == 0x0403_4b50)
        #expect(bytes.readLE16(6) == 0x0800)  // UTF-8 names
        #expect(bytes.readLE16(8) == 0)  // stored
        #expect(bytes.readLE16(10) == 0 && bytes.readLE16(12) == 0x21)  // 1980-01-01 00:00
        #expect(bytes.readLE16(28) == 0)  // no extra field
        let central = 30 + 3 + 3
        #expect(bytes.readLE32(central) == 0x0201_4b50)
        #expect(bytes.readLE32(central + 38) == UInt32(0o100755) << 16)
    }

    @Test func sourceArchiveKeepsOneTopLevelDirectory() throws {
        let bytes = try SourceArchive.pack(root: "json-kit", files: [ZipEntry(path: "src/a.c", data: [1])])
        #expect(try ZipReader.read(bytes).map(\.path) == ["json-kit/src/a.c"])
        let contents = try SourceArchive.unpack(bytes)
        #expect(contents.root == "json-kit")
        #expect(contents.files == [ZipEntry(path: "src/a.c", data: [1])])
        let twoRoots = try ZipWriter.write([ZipEntry(path: "a/x", data: []), ZipEntry(path: "b/y", data: [])])
        #expect(throws: ZipError.self) { try SourceArchive.unpack(twoRoots) }
        let bare = try ZipWriter.write([ZipEntry(path: "README", data: [])])
        #expect(throws: ZipError.self) { try SourceArchive.unpack(bare) }
    }

    func readError(_ items: [RawZip.Item]) -> ZipError? {
        do {
            _ = try ZipReader.read(RawZip.build(items))
            return nil
        } catch {
            return error
        }
    }

    @Test func rawBuilderMatchesTheWriter() throws {
        let item = RawZip.Item(name: "p/a", data: [9, 8, 7])
        #expect(RawZip.build([item]) == (try ZipWriter.write([ZipEntry(path: "p/a", data: [9, 8, 7])])))
    }

    @Test func rejectsUnsafePaths() {
        for name in ["../evil", "p/../../evil", "/etc/passwd", "p\\evil", "p//x", "./p/x", "C:/x", "p/\u{1}"] {
            guard case .unsafePath(let path, _)? = readError([RawZip.Item(name: name, data: [1])]) else {
                Issue.record("\(name) was not refused as unsafe")
                continue
            }
            #expect(path == name)
        }
        #expect(throws: ZipError.self) { try ZipWriter.write([ZipEntry(path: "../x", data: [])]) }
    }

    @Test func rejectsDuplicatesAndCollisions() {
        #expect(readError([.init(name: "p/a", data: [1]), .init(name: "p/a", data: [2])]) == .duplicatePath("p/a"))
        #expect(readError([.init(name: "p/A", data: [1]), .init(name: "p/a", data: [2])]) == .duplicatePath("p/a"))
        guard case .unsafePath(_, let reason)? = readError([.init(name: "p/a", data: [1]), .init(name: "p/a/b", data: [2])]) else {
            Issue.record("file/directory clash accepted")
            return
        }
        #expect(reason.contains("both a file and a directory"))
    }

    @Test func rejectsSymlinksAndUnsupportedMethods() {
        #expect(readError([.init(name: "p/link", data: Array("/etc".utf8), mode: 0o120777)]) == .symlink("p/link"))
        guard case .unsupported(let what)? = readError([.init(name: "p/a", data: [1], method: 12)]) else {
            Issue.record("bzip2 accepted")
            return
        }
        #expect(what.contains("compression method 12"))
    }

    @Test func rejectsACorruptedCRC() throws {
        #expect(readError([.init(name: "p/a", data: [1, 2], crc: 0xDEAD_BEEF)])
            == .checksumMismatch(path: "p/a", expected: 0xDEAD_BEEF, actual: CRC32.checksum([1, 2])))
        var bytes = try ZipWriter.write([ZipEntry(path: "p/a", data: Array("hello".utf8))])
        bytes[30 + 3] ^= 0xFF  // flip a data byte
        #expect {
            try ZipReader.read(bytes)
        } throws: { error in
            if case .checksumMismatch(let path, _, _) = error as? ZipError { return path == "p/a" }
            return false
        }
    }

    @Test func rejectsTruncatedArchives() throws {
        let bytes = try ZipWriter.write(files)
        for length in [0, 10, 21, bytes.count / 2, bytes.count - 1] {
            #expect(throws: ZipError.self) { try ZipReader.read(Array(bytes.prefix(length))) }
        }
        // Cut the data but keep a consistent end record: the central directory then points past the data.
        let centralStart = Int(bytes.readLE32(bytes.count - 6))
        var shifted = Array(bytes[..<20]) + Array(bytes[centralStart...])
        let newOffset = UInt32(20)
        shifted.replaceSubrange((shifted.count - 6)..<(shifted.count - 2), with: withUnsafeBytes(of: newOffset.littleEndian, Array.init))
        #expect(throws: ZipError.self) { try ZipReader.read(shifted) }
    }

    @Test func rejectsLocalHeaderDisagreement() throws {
        var bytes = try ZipWriter.write([ZipEntry(path: "p/a", data: [1, 2, 3])])
        bytes[30] = UInt8(ascii: "q")  // local name differs from the central directory
        #expect {
            try ZipReader.read(bytes)
        } throws: { error in
            if case .malformed(let what) = error as? ZipError { return what.contains("disagrees") && what.contains("name") }
            return false
        }
    }

    @Test func enforcesLimits() throws {
        var limits = ZipLimits()
        limits.maxEntrySize = 4
        #expect(throws: ZipError.entryTooLarge(path: "p/a", size: 5, limit: 4)) {
            try ZipWriter.write([ZipEntry(path: "p/a", data: [1, 2, 3, 4, 5])], limits: limits)
        }
        let big = try ZipWriter.write([ZipEntry(path: "p/a", data: [1, 2, 3, 4, 5])])
        #expect(throws: ZipError.entryTooLarge(path: "p/a", size: 5, limit: 4)) { try ZipReader.read(big, limits: limits) }

        limits = ZipLimits()
        limits.maxTotalSize = 6
        let two = [ZipEntry(path: "p/a", data: [1, 2, 3, 4]), ZipEntry(path: "p/b", data: [1, 2, 3, 4])]
        #expect(throws: ZipError.totalTooLarge(limit: 6)) { try ZipWriter.write(two, limits: limits) }
        #expect(throws: ZipError.totalTooLarge(limit: 6)) { try ZipReader.read(try ZipWriter.write(two), limits: limits) }

        limits = ZipLimits()
        limits.maxEntries = 1
        #expect(throws: ZipError.tooManyEntries(count: 2, limit: 1)) { try ZipReader.read(try ZipWriter.write(two), limits: limits) }

        limits = ZipLimits()
        limits.maxArchiveSize = 100
        let archive = try ZipWriter.write(two)
        #expect(throws: ZipError.archiveTooLarge(size: archive.count, limit: 100)) { try ZipReader.read(archive, limits: limits) }
        #expect(throws: ZipError.archiveTooLarge(size: archive.count, limit: 100)) { try ZipWriter.write(two, limits: limits) }

        limits = ZipLimits()
        limits.maxPathLength = 8
        #expect(throws: ZipError.self) { try ZipWriter.write([ZipEntry(path: "p/very-long-name", data: [])], limits: limits) }
    }
}
