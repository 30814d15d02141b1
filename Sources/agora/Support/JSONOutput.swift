import Foundation

/// One JSON document per command on stdout, keys sorted, so scripts and diffs see stable output.
enum JSONOutput {
    static func print<T: Encodable>(_ value: T) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        printRaw(try encoder.encode(value))
    }

    /// One encoded JSON document and a newline, exactly as given.
    static func printRaw(_ data: Data) {
        FileHandle.standardOutput.write(data)
        FileHandle.standardOutput.write(Data("\n".utf8))
    }
}
