import Hummingbird

/// The API version a client asks for in `Accept` (`application/vnd.swift.registry.v1+json`):
/// none or 1 is served, another number is 415, a malformed one 400.
///
/// Read as bytes: every registry read checks it, and Foundation's trimming and Unicode
/// lowercasing cost more than the rest of a cached answer (see Benchmarks/README.md).
enum APIVersion {
    static func check(_ request: Request) throws {
        guard let accept = request.headers[.accept] else { return }
        try check(accept: accept)
    }

    static func check(accept: String) throws {
        if accept == "application/vnd.swift.registry.v1+json" { return }
        var utf8 = accept.utf8[...]
        while !utf8.isEmpty {
            let range = utf8.prefix { $0 != UInt8(ascii: ",") }
            utf8 = utf8.dropFirst(range.count + 1)
            try checkRange(range.prefix { $0 != UInt8(ascii: ";") })
        }
    }

    private static let prefix = Array("application/vnd.swift.registry".utf8)

    /// One media range without its parameters; ranges of other types are not ours to judge.
    private static func checkRange(_ range: Substring.UTF8View.SubSequence) throws {
        let type = trimmed(range)
        guard type.count >= prefix.count, zip(type, prefix).allSatisfy({ lowercased($0) == $1 }) else { return }
        var rest = type.dropFirst(prefix.count)
        if rest.first == UInt8(ascii: "."), rest.dropFirst().first.map(lowercased) == UInt8(ascii: "v") {
            rest = rest.dropFirst(2)
            let number = rest.prefix { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
            guard !number.isEmpty else { throw Problem(.badRequest, "invalid API version in Accept: \(text(type))") }
            guard number.elementsEqual("1".utf8) else {
                throw Problem(.unsupportedMediaType, "unsupported API version \(text(number)); this registry speaks version 1")
            }
            rest = rest.dropFirst(number.count)
        }
        guard rest.isEmpty || rest.first == UInt8(ascii: "+") else {
            throw Problem(.badRequest, "invalid media type in Accept: \(text(type))")
        }
    }

    /// Optional whitespace around a media range (RFC 9110: spaces and tabs).
    private static func trimmed(_ bytes: Substring.UTF8View.SubSequence) -> Substring.UTF8View.SubSequence {
        let isSpace = { (byte: UInt8) in byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        let start = bytes.drop(while: isSpace)
        return start.prefix(start.count - start.reversed().prefix(while: isSpace).count)
    }

    private static func lowercased(_ byte: UInt8) -> UInt8 {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte + 32 : byte
    }

    /// The client's text for an error detail, ASCII-lowercased and cut to a readable length.
    private static func text(_ bytes: Substring.UTF8View.SubSequence) -> String {
        String(decoding: bytes.prefix(100).map(lowercased), as: UTF8.self)
    }
}
