import Foundation

/// One part of a `multipart/form-data` body.
public struct MultipartPart: Sendable, Equatable {
    public var name: String
    /// Header names lowercased.
    public var headers: [String: String]
    public var body: [UInt8]
}

public struct MultipartError: Error, Equatable, Sendable, CustomStringConvertible {
    public let description: String

    init(_ description: String) {
        self.description = description
    }
}

/// A bounded `multipart/form-data` reader (RFC 7578) for the publish endpoint.
///
/// Every part must be named (`Content-Disposition: form-data; name="…"`), names are unique,
/// headers are short and few, parts are few: the body is already bounded by the request
/// limit, these bounds keep a hostile body from turning into many small allocations.
/// `base64` parts are decoded; `binary`, `8bit` and `7bit` are taken as they are.
public enum Multipart {
    public static let maxParts = 8
    public static let maxHeaderBytes = 4096
    public static let maxBoundaryLength = 70

    /// The boundary parameter of a `multipart/form-data` Content-Type, unquoted.
    public static func boundary(contentType: String) throws(MultipartError) -> String {
        let pieces = contentType.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        guard let type = pieces.first, type.lowercased() == "multipart/form-data" else {
            throw MultipartError("Content-Type is \"\(contentType.prefix(100))\", expected multipart/form-data")
        }
        for piece in pieces.dropFirst() {
            let pair = piece.split(separator: "=", maxSplits: 1).map(String.init)
            guard pair.count == 2, pair[0].trimmingCharacters(in: .whitespaces).lowercased() == "boundary" else { continue }
            var value = pair[1].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
            guard (1...maxBoundaryLength).contains(value.utf8.count), value.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7f || $0 == 0x20 }) else {
                throw MultipartError("the multipart boundary must be 1–\(maxBoundaryLength) printable ASCII characters")
            }
            return value
        }
        throw MultipartError("multipart/form-data without a boundary parameter")
    }

    public static func parse(_ body: [UInt8], boundary: String) throws(MultipartError) -> [MultipartPart] {
        let dash = UInt8(ascii: "-")
        let delimiter = [dash, dash] + Array(boundary.utf8)
        // The first delimiter may open the body; every later one follows a CRLF.
        var position: Int
        if body.starts(with: delimiter) {
            position = delimiter.count
        } else if let found = find([13, 10] + delimiter, in: body, from: 0) {
            position = found + 2 + delimiter.count
        } else {
            throw MultipartError("the body holds no \"--\(boundary)\" delimiter")
        }
        var parts: [MultipartPart] = []
        while true {
            if body.count >= position + 2, body[position] == dash, body[position + 1] == dash { return parts }
            while position < body.count, body[position] == 0x20 || body[position] == 0x09 { position += 1 }
            guard body.count >= position + 2, body[position] == 13, body[position + 1] == 10 else {
                throw MultipartError("a multipart delimiter is not followed by CRLF")
            }
            position += 2
            guard parts.count < maxParts else { throw MultipartError("more than \(maxParts) multipart parts") }
            guard let headerEnd = find([13, 10, 13, 10], in: body, from: position, limit: maxHeaderBytes) else {
                throw MultipartError("a multipart part's headers are unterminated or longer than \(maxHeaderBytes) bytes")
            }
            let headers = try parseHeaders(body[position..<headerEnd])
            let contentStart = headerEnd + 4
            guard let contentEnd = find([13, 10] + delimiter, in: body, from: contentStart) else {
                throw MultipartError("the body ends inside a part (no closing \"--\(boundary)--\")")
            }
            let part = try makePart(headers: headers, content: Array(body[contentStart..<contentEnd]))
            guard !parts.contains(where: { $0.name == part.name }) else {
                throw MultipartError("the part \"\(part.name)\" appears twice")
            }
            parts.append(part)
            position = contentEnd + 2 + delimiter.count
        }
    }

    static func parseHeaders(_ bytes: ArraySlice<UInt8>) throws(MultipartError) -> [String: String] {
        guard let text = String(validating: bytes, as: UTF8.self) else { throw MultipartError("part headers are not UTF-8") }
        var headers: [String: String] = [:]
        for line in text.components(separatedBy: "\r\n") where !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else { throw MultipartError("malformed part header \"\(line.prefix(80))\"") }
            let name = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
            headers[name] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return headers
    }

    static func makePart(headers: [String: String], content: [UInt8]) throws(MultipartError) -> MultipartPart {
        guard let disposition = headers["content-disposition"] else {
            throw MultipartError("a multipart part has no Content-Disposition")
        }
        let fields = disposition.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        guard fields.first?.lowercased() == "form-data" else {
            throw MultipartError("Content-Disposition \"\(disposition.prefix(80))\" is not form-data")
        }
        var name: String?
        for field in fields.dropFirst() {
            let pair = field.split(separator: "=", maxSplits: 1).map(String.init)
            if pair.count == 2, pair[0].lowercased() == "name" {
                var value = pair[1]
                if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
                name = value
            }
        }
        guard let name, !name.isEmpty else { throw MultipartError("a multipart part has no name") }
        var body = content
        switch headers["content-transfer-encoding"]?.lowercased() {
        case nil, "binary", "8bit", "7bit":
            break
        case "base64":
            guard let decoded = Data(base64Encoded: Data(content), options: .ignoreUnknownCharacters) else {
                throw MultipartError("the part \"\(name)\" is not valid base64")
            }
            body = Array(decoded)
        case "quoted-printable":
            body = quotedPrintable(content)
        case let other?:
            throw MultipartError("the part \"\(name)\" uses Content-Transfer-Encoding \"\(other.prefix(40))\"; send binary or base64")
        }
        return MultipartPart(name: name, headers: headers, body: body)
    }

    /// RFC 2045 quoted-printable, leniently: `=XX` is a byte, `=` before a line break is a soft
    /// break, and any other `=` stays as it is. SwiftPM labels its JSON metadata part
    /// quoted-printable but sends it as plain JSON, which this reads unchanged.
    static func quotedPrintable(_ bytes: [UInt8]) -> [UInt8] {
        func hex(_ byte: UInt8) -> UInt8? {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
            case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
            default: nil
            }
        }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "="), index + 1 < bytes.count {
                let next = bytes[index + 1]
                let third = index + 2 < bytes.count ? bytes[index + 2] : nil
                if next == 10 {
                    index += 2
                    continue
                }
                if next == 13, third == 10 {
                    index += 3
                    continue
                }
                if let third, let high = hex(next), let low = hex(third) {
                    out.append(high << 4 | low)
                    index += 3
                    continue
                }
            }
            out.append(byte)
            index += 1
        }
        return out
    }

    /// First index of `needle` in `haystack` at or after `start`, looking no further than
    /// `limit` bytes past `start` when given.
    static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int, limit: Int? = nil) -> Int? {
        guard let first = needle.first else { return nil }
        let end = min(haystack.count - needle.count, limit.map { start + $0 } ?? Int.max)
        guard start <= end else { return nil }
        return haystack.withUnsafeBufferPointer { buffer -> Int? in
            var index = start
            while index <= end {
                guard let base = buffer.baseAddress,
                      let hit = memchr(base + index, Int32(first), end - index + 1) else { return nil }
                let at = UnsafeRawPointer(base).distance(to: UnsafeRawPointer(hit))
                if memcmp(base + at, needle, needle.count) == 0 { return at }
                index = at + 1
            }
            return nil
        }
    }
}
