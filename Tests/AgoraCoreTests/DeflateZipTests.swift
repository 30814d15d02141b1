import AgoraTestSupport
import CZlib
import Foundation
import Testing
@testable import AgoraCore

/// Raw deflate with zlib, the way `zip` and SwiftPM's archiver write method-8 entries.
enum RawDeflate {
    static func compress(_ data: [UInt8], level: Int32 = 6) -> [UInt8] {
        var stream = z_stream()
        guard deflateInit2_(&stream, level, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY, zlibVersion(),
                            Int32(MemoryLayout<z_stream>.size)) == Z_OK else { return [] }
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(data.count))) + 16)
        let produced = data.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { target in
                stream.next_in = UnsafeMutablePointer(mutating: source.baseAddress)
                stream.avail_in = UInt32(source.count)
                stream.next_out = target.baseAddress
                stream.avail_out = UInt32(target.count)
                _ = deflate(&stream, Z_FINISH)
                return target.count - Int(stream.avail_out)
            }
        }
        return Array(output.prefix(produced))
    }
}

@Suite struct DeflateZipTests {
    /// Source-like text: words from a small vocabulary, so it compresses like code does.
    static func text(_ rng: inout SeededGenerator, bytes: Int) -> [UInt8] {
        let words = ["let", "var", "func", "return", "struct", "{", "}", "(", ")", "self", "guard", "else", "\n", "    "]
        var out: [UInt8] = []
        while out.count < bytes { out += Array((words.randomElement(using: &rng)! + " ").utf8) }
        return Array(out.prefix(bytes))
    }

    @Test(arguments: 0..<24 as Range<UInt64>)
    func generatedMixedArchivesRoundTrip(seed: UInt64) throws {
        var rng = SeededGenerator(seed: seed)
        var items: [RawZip.Item] = []
        for index in 0..<Int.random(in: 1...12, using: &rng) {
            let size = [0, 1, 17, 300, 5000, 70_000].randomElement(using: &rng)!
            let data = Bool.random(using: &rng)
                ? Self.text(&rng, bytes: size) : (0..<size).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let deflated = Bool.random(using: &rng)
            items.append(RawZip.Item(
                name: "pkg/f\(index)", data: data, method: deflated ? 8 : 0,
                stored: deflated ? RawDeflate.compress(data, level: Int32.random(in: 0...9, using: &rng)) : nil))
        }
        let read = try ZipReader.read(RawZip.build(items))
        #expect(read.map(\.path) == items.map(\.name))
        #expect(read.map(\.data) == items.map(\.data))
    }

    /// The archive Info-ZIP writes (deflate, directory entries, extra fields), as SwiftPM's
    /// archiver on Linux runs it.
    @Test func readsWhatTheZipToolWrites() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("agora-zip-\(UInt64.random(in: 0...UInt64.max))")
        defer { try? FileManager.default.removeItem(at: root) }
        var rng = SeededGenerator(seed: 7)
        let files: [String: [UInt8]] = [
            "LinkedList/Package.swift": Array("// swift-tools-version:5.9\nimport PackageDescription\n".utf8),
            "LinkedList/Sources/LinkedList/List.swift": Self.text(&rng, bytes: 40_000),
            "LinkedList/README.md": [],
        ]
        for (path, data) in files {
            let url = root.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(data).write(to: url)
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/zip")
        process.currentDirectoryURL = root
        process.arguments = ["-q", "-r", "out.zip", "LinkedList"]
        try process.run()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0)
        let bytes = Array(try Data(contentsOf: root.appendingPathComponent("out.zip")))
        let contents = try SourceArchive.unpack(bytes)
        #expect(contents.root == "LinkedList")
        #expect(Dictionary(uniqueKeysWithValues: contents.files.map { ("LinkedList/" + $0.path, $0.data) }) == files)
        #expect(bytes.count < 20_000, "the big file should have been deflated")
    }

    @Test func refusesABombBeforeInflatingIt() throws {
        let zeros = [UInt8](repeating: 0, count: 30 * 1024 * 1024)
        let bomb = RawZip.build([RawZip.Item(name: "p/zeros", data: zeros, method: 8, stored: RawDeflate.compress(zeros, level: 9))])
        guard case .compressionRatio(let archive, let content, 100)? = Self.error(bomb) else {
            Issue.record("a 1000:1 archive was inflated")
            return
        }
        #expect(archive == bomb.count && content == zeros.count)
        // The same bytes fit when the ratio limit is raised: the check is the only thing refusing them.
        var limits = ZipLimits()
        limits.maxCompressionRatio = 2000
        #expect(try ZipReader.read(bomb, limits: limits).first?.data.count == zeros.count)
    }

    /// The default limits take a 100 MiB package (stored, four 25 MiB files) both ways.
    @Test func aHundredMebibytePackageFitsTheDefaultLimits() throws {
        let piece = 25 * 1024 * 1024
        let entries = (0..<4).map { ZipEntry(path: "big/part\($0).bin", data: [UInt8](repeating: UInt8($0 + 1), count: piece)) }
        let archive = try ZipWriter.write(entries)
        #expect(archive.count > 100 * 1024 * 1024)
        let read = try ZipReader.read(archive)
        #expect(read.map(\.path) == entries.map(\.path))
        #expect(read.map(\.data) == entries.map(\.data))
    }

    /// Declared sizes past the total are refused before anything is read or inflated, however
    /// small the archive: what a bomb made of stored entries that lie about their size gets.
    @Test func declaredContentsPastTheTotalAreRefusedUninflated() {
        let limits = ZipLimits()
        let each = UInt32(limits.maxEntrySize)
        let items = (0..<3).map { RawZip.Item(name: "p/\($0)", data: [0], method: 8, stored: RawDeflate.compress([0]), declaredSize: each) }
        #expect(Self.error(RawZip.build(items)) == .totalTooLarge(limit: limits.maxTotalSize))
        let one = [RawZip.Item(name: "p/big", data: [0], method: 8, stored: RawDeflate.compress([0]), declaredSize: each + 1)]
        #expect(Self.error(RawZip.build(one)) == .entryTooLarge(path: "p/big", size: Int(each) + 1, limit: limits.maxEntrySize))
    }

    @Test func refusesStreamsThatDisagreeWithTheirDeclaredSize() {
        var rng = SeededGenerator(seed: 3)
        let data = Self.text(&rng, bytes: 10_000)
        let stream = RawDeflate.compress(data)
        for declared in [UInt32(0), 1, 9_999] {
            guard case .malformed(let what)? = Self.error(RawZip.build([
                RawZip.Item(name: "p/a", data: data, method: 8, stored: stream, declaredSize: declared),
            ])) else {
                Issue.record("declared \(declared) accepted")
                continue
            }
            #expect(what.contains("more than the \(declared) bytes"))
        }
        guard case .malformed(let what)? = Self.error(RawZip.build([
            RawZip.Item(name: "p/a", data: data, method: 8, stored: stream, declaredSize: 10_001),
        ])) else {
            Issue.record("short stream accepted")
            return
        }
        #expect(what.contains("inflates to 10000 bytes"))
    }

    /// Truncated, bit-flipped and random deflate streams: always a `ZipError`, never a crash,
    /// and anything accepted passed the CRC.
    @Test(arguments: 0..<8 as Range<UInt64>)
    func damagedStreamsAreRefused(seed: UInt64) {
        var rng = SeededGenerator(seed: seed)
        let data = Self.text(&rng, bytes: 20_000)
        let stream = RawDeflate.compress(data)
        for round in 0..<200 {
            var damaged = stream
            switch round % 3 {
            case 0: damaged = Array(damaged.prefix(Int.random(in: 0..<damaged.count, using: &rng)))
            case 1: damaged[Int.random(in: 0..<damaged.count, using: &rng)] ^= UInt8.random(in: 1...255, using: &rng)
            default: damaged = (0..<Int.random(in: 1...500, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            }
            let archive = RawZip.build([RawZip.Item(name: "p/a", data: data, method: 8, stored: damaged)])
            if let read = try? ZipReader.read(archive) {
                #expect(read.first?.data == data)
            }
        }
    }

    static func error(_ bytes: [UInt8]) -> ZipError? {
        do {
            _ = try ZipReader.read(bytes)
            return nil
        } catch {
            return error
        }
    }
}
