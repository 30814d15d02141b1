import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A minimal HTTP/1.1 client over a blocking loopback socket: full control of the bytes sent
/// (malformed bodies, partial uploads, HEAD) and nothing done behind the test's back (no
/// redirects followed, no retries, no Expect: 100-continue).
struct RawHTTP {
    struct Response: CustomStringConvertible {
        let status: Int
        /// Lowercased names.
        let headers: [String: String]
        let body: [UInt8]

        var text: String { String(decoding: body, as: UTF8.self) }
        var json: [String: Any]? { (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] }
        var description: String { "\(status) \(headers) \(text.prefix(300))" }
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    let port: Int
    var host = "127.0.0.1"

    /// Runs on a Dispatch thread: a blocking socket on the cooperative pool would starve the
    /// in-process server's handlers (two pool threads on a two-core machine).
    func request(
        _ method: String, _ path: String, headers: [String: String] = [:], body: [UInt8] = []
    ) async throws -> Response {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try blockingRequest(method, path, headers: headers, body: body) })
            }
        }
    }

    func blockingRequest(_ method: String, _ path: String, headers: [String: String], body: [UInt8]) throws -> Response {
        let socket = try connect()
        defer { close(socket) }
        var head = "\(method) \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\nConnection: close\r\n"
        var headers = headers
        if !body.isEmpty || method == "PUT" || method == "POST" { headers["Content-Length"] = headers["Content-Length"] ?? "\(body.count)" }
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) { head += "\(name): \(value)\r\n" }
        head += "\r\n"
        try send(socket, Array(head.utf8) + body)
        return try parse(readAll(socket), method: method)
    }

    /// Opens a connection and sends `bytes` without reading: the caller holds the socket open.
    func openPartial(_ bytes: [UInt8]) throws -> Int32 {
        let socket = try connect()
        try send(socket, bytes)
        return socket
    }

    func connect() throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr(host)
        var timeout = timeval(tv_sec: 60, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            close(fd)
            throw Failure(description: "connect to \(host):\(port): errno \(errno)")
        }
        return fd
    }

    func send(_ socket: Int32, _ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            // The server may answer (413, 401) and close before it read the whole body.
            guard sent > 0 else { return }
            offset += sent
        }
    }

    func readAll(_ socket: Int32) throws -> [UInt8] {
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                out += buffer[0..<count]
            } else if count == 0 || errno == ECONNRESET {
                return out
            } else {
                throw Failure(description: "recv: errno \(errno) after \(out.count) bytes")
            }
        }
    }

    func parse(_ bytes: [UInt8], method: String) throws -> Response {
        guard let end = (0..<max(0, bytes.count - 3)).first(where: { bytes[$0] == 13 && bytes[$0 + 1] == 10 && bytes[$0 + 2] == 13 && bytes[$0 + 3] == 10 }) else {
            throw Failure(description: "no complete response head in \(bytes.count) bytes")
        }
        let lines = String(decoding: bytes[0..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = lines[0].split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else { throw Failure(description: "bad status line \(lines[0])") }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            headers[name] = headers[name].map { $0 + ", " + value } ?? value
        }
        var body = Array(bytes[(end + 4)...])
        if headers["transfer-encoding"]?.lowercased() == "chunked" { body = try dechunk(body) }
        return Response(status: status, headers: headers, body: method == "HEAD" ? [] : body)
    }

    func dechunk(_ bytes: [UInt8]) throws -> [UInt8] {
        var out: [UInt8] = []
        var index = 0
        while index < bytes.count {
            guard let lineEnd = (index..<(bytes.count - 1)).first(where: { bytes[$0] == 13 && bytes[$0 + 1] == 10 }),
                  let size = Int(String(decoding: bytes[index..<lineEnd], as: UTF8.self).split(separator: ";")[0], radix: 16)
            else { throw Failure(description: "bad chunk") }
            if size == 0 { return out }
            out += bytes[(lineEnd + 2)..<(lineEnd + 2 + size)]
            index = lineEnd + 2 + size + 2
        }
        return out
    }
}

/// Builds `multipart/form-data` bodies the way SwiftPM's publish does.
struct MultipartBody {
    static let boundary = "agora-test-boundary-7f3a"

    static func make(_ parts: [(name: String, contentType: String, body: [UInt8])]) -> [UInt8] {
        var out: [UInt8] = []
        for part in parts {
            out += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(part.name)\"\r\nContent-Type: \(part.contentType)\r\nContent-Transfer-Encoding: binary\r\n\r\n".utf8)
            out += part.body
            out += Array("\r\n".utf8)
        }
        out += Array("--\(boundary)--\r\n".utf8)
        return out
    }

    static var contentType: String { "multipart/form-data;boundary=\"\(boundary)\"" }
}
