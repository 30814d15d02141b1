import AgoraTestSupport
import Foundation
import Testing
@testable import AgoraHTTP

@Suite struct MultipartTests {
    @Test func readsTheBodySwiftPMSends() throws {
        let archive: [UInt8] = [0x50, 0x4b, 0x03, 0x04, 0x0d, 0x0a, 0x2d, 0x2d, 0, 255]  // CRLF-- inside the data
        let body = MultipartBody.make([
            ("source-archive", "application/zip", archive),
            ("metadata", "application/json", Array(#"{"description":"x"}"#.utf8)),
        ])
        let boundary = try Multipart.boundary(contentType: MultipartBody.contentType)
        let parts = try Multipart.parse(body, boundary: boundary)
        #expect(parts.map(\.name) == ["source-archive", "metadata"])
        #expect(parts[0].body == archive)
        #expect(parts[1].body == Array(#"{"description":"x"}"#.utf8))
        #expect(parts[0].headers["content-type"] == "application/zip")
    }

    @Test func boundaryParameterForms() throws {
        #expect(try Multipart.boundary(contentType: "multipart/form-data; boundary=abc") == "abc")
        #expect(try Multipart.boundary(contentType: "Multipart/Form-Data;Boundary=\"a b\"") == "a b")
        for bad in ["application/json", "multipart/form-data", "multipart/form-data; boundary=",
                    "multipart/form-data; boundary=" + String(repeating: "x", count: 71)] {
            #expect(throws: MultipartError.self, "\(bad)") { try Multipart.boundary(contentType: bad) }
        }
    }

    @Test func decodesBase64Parts() throws {
        let body = Array("--b\r\nContent-Disposition: form-data; name=\"source-archive\"\r\nContent-Transfer-Encoding: base64\r\n\r\nAAEC/w==\r\n--b--".utf8)
        #expect(try Multipart.parse(body, boundary: "b").first?.body == [0, 1, 2, 255])
    }

    @Test(arguments: [
        (#"{"a":"b"}"#, #"{"a":"b"}"#),  // what SwiftPM sends under the quoted-printable label
        ("caf=C3=A9", "café"),
        ("soft=\r\nbreak", "softbreak"),
        ("https://x?a=1&b=zz", "https://x?a=1&b=zz"),  // not an escape: kept
        ("end=", "end="),
    ])
    func decodesQuotedPrintableLeniently(_ encoded: String, _ decoded: String) {
        #expect(Multipart.quotedPrintable(Array(encoded.utf8)) == Array(decoded.utf8))
    }

    /// Each malformed body is refused with a message naming what is wrong.
    @Test(arguments: [
        ("no delimiter", "hello", "no \"--b\""),
        ("no CRLF after delimiter", "--bXX", "not followed by CRLF"),
        ("unterminated headers", "--b\r\nContent-Disposition: form-data; name=\"a\"", "unterminated"),
        ("no closing delimiter", "--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\ndata", "ends inside a part"),
        ("no disposition", "--b\r\nContent-Type: x\r\n\r\nd\r\n--b--", "no Content-Disposition"),
        ("not form-data", "--b\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\nd\r\n--b--", "not form-data"),
        ("no name", "--b\r\nContent-Disposition: form-data\r\n\r\nd\r\n--b--", "no name"),
        ("duplicate", "--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nd\r\n--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nd\r\n--b--", "twice"),
        ("bad encoding", "--b\r\nContent-Disposition: form-data; name=\"a\"\r\nContent-Transfer-Encoding: x-gzip\r\n\r\nd\r\n--b--", "Content-Transfer-Encoding"),
        ("bad base64", "--b\r\nContent-Disposition: form-data; name=\"a\"\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!\r\n--b--", "base64"),
        ("header line", "--b\r\nnocolon\r\n\r\nd\r\n--b--", "malformed part header"),
    ])
    func refusesMalformedBodies(_ label: String, _ body: String, _ expected: String) {
        #expect {
            try Multipart.parse(Array(body.utf8), boundary: "b")
        } throws: { error in
            (error as? MultipartError)?.description.contains(expected) == true
        }
    }

    @Test func boundsPartsAndHeaders() {
        let many = (0...Multipart.maxParts).map { "--b\r\nContent-Disposition: form-data; name=\"p\($0)\"\r\n\r\nx\r\n" }.joined() + "--b--"
        #expect(throws: MultipartError.self) { try Multipart.parse(Array(many.utf8), boundary: "b") }
        let longHeader = "--b\r\nContent-Disposition: form-data; name=\"a\"\r\nX: " + String(repeating: "y", count: Multipart.maxHeaderBytes) + "\r\n\r\nd\r\n--b--"
        #expect(throws: MultipartError.self) { try Multipart.parse(Array(longHeader.utf8), boundary: "b") }
    }

    /// Truncations and byte flips of a valid body: a clean error or parts whose bodies are
    /// slices of the input, never a crash.
    @Test(arguments: 0..<16 as Range<UInt64>)
    func mutatedBodiesNeverCrash(seed: UInt64) {
        var rng = SeededGenerator(seed: seed)
        let valid = MultipartBody.make([
            ("source-archive", "application/zip", (0..<300).map { _ in UInt8.random(in: 0...255, using: &rng) }),
            ("metadata", "application/json", Array("{}".utf8)),
        ])
        for _ in 0..<300 {
            var body = valid
            if Bool.random(using: &rng) {
                body = Array(body.prefix(Int.random(in: 0..<body.count, using: &rng)))
            } else {
                for _ in 0..<Int.random(in: 1...4, using: &rng) {
                    body[Int.random(in: 0..<body.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
                }
            }
            if let parts = try? Multipart.parse(body, boundary: MultipartBody.boundary) {
                #expect(parts.count <= 2)
                #expect(parts.allSatisfy { $0.body.count <= body.count })
            }
        }
    }
}

@Suite struct WriteAuthorizationTests {
    /// (token configured, Authorization header, over TLS, from loopback, loopback opt-in) → allowed?
    @Test(arguments: [
        ("token ok over TLS", "s3cret", "Bearer s3cret", true, false, false, true),
        ("token ok over HTTP", "s3cret", "Bearer s3cret", false, false, false, true),
        ("wrong token", "s3cret", "Bearer nope", true, true, true, false),
        ("not bearer", "s3cret", "Basic czNjcmV0", true, true, true, false),
        ("no token sent over TLS", "s3cret", nil, true, true, true, false),
        ("no token, loopback, opted in", nil, nil, false, true, true, true),
        ("no token, loopback, not opted in", "s3cret", nil, false, true, false, false),
        ("no token, remote, opted in", nil, nil, false, false, true, false),
        ("token sent but none configured", nil, "Bearer x", false, true, true, false),
        ("nothing configured", nil, nil, false, true, false, false),
    ] as [(String, String?, String?, Bool, Bool, Bool, Bool)])
    func decides(_ label: String, token: String?, header: String?, tls: Bool, loopback: Bool, optIn: Bool, allowed: Bool) {
        let decision = WriteAuthorization(token: token, allowTokenlessLoopback: optIn)
            .decide(authorization: header, overTLS: tls, fromLoopback: loopback)
        #expect((decision == .allowed) == allowed, "\(label): \(decision)")
    }
}
