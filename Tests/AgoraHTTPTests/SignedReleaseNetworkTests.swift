import AgoraCore
import AgoraHTTP
import AgoraRegistry
import AgoraStore
import AgoraTestSupport
import Foundation
import Testing

/// SwiftPM package signatures: kept on publish, recorded in the signed release event, and
/// served back (`signing` in the release metadata, the signature headers on the archive).
@Suite struct SignedReleaseNetworkTests {
    /// A code-signing certificate from a local CA, made with the openssl CLI, DER-encoded as
    /// SwiftPM reads it.
    struct Signer {
        let folder: TemporaryDirectory
        var key: String { folder.url.appendingPathComponent("signer.key.der").path }
        var chain: [String] { ["signer.der", "ca.der"].map { folder.url.appendingPathComponent($0).path } }
        var roots: String { folder.url.appendingPathComponent("roots").path }

        static func make() async throws -> Signer {
            let folder = try TemporaryDirectory()
            try folder.write("signer.ext", """
                basicConstraints = critical,CA:FALSE
                keyUsage = critical,digitalSignature
                extendedKeyUsage = codeSigning
                subjectKeyIdentifier = hash
                authorityKeyIdentifier = keyid

                """)
            try folder.write("ca.ext", """
                basicConstraints = critical,CA:TRUE
                keyUsage = critical,keyCertSign,cRLSign
                subjectKeyIdentifier = hash

                """)
            try FileManager.default.createDirectory(at: folder.url.appendingPathComponent("roots"), withIntermediateDirectories: true)
            let steps: [[String]] = [
                ["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-subj", "/CN=Agora Test Root",
                 "-keyout", "ca.key", "-out", "ca.csr"],
                ["x509", "-req", "-in", "ca.csr", "-signkey", "ca.key", "-days", "2", "-extfile", "ca.ext", "-out", "ca.pem"],
                ["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-subj", "/CN=Agora Test Signer",
                 "-keyout", "signer.key", "-out", "signer.csr"],
                ["x509", "-req", "-in", "signer.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2",
                 "-extfile", "signer.ext", "-out", "signer.pem"],
                ["x509", "-in", "ca.pem", "-outform", "DER", "-out", "ca.der"],
                ["x509", "-in", "ca.pem", "-outform", "DER", "-out", "roots/ca.der"],
                ["x509", "-in", "signer.pem", "-outform", "DER", "-out", "signer.der"],
                ["pkcs8", "-topk8", "-nocrypt", "-in", "signer.key", "-outform", "DER", "-out", "signer.key.der"],
            ]
            for step in steps {
                let result = try await Subprocess.run("/usr/bin/openssl", step, in: folder.url)
                guard result.status == 0 else { throw RawHTTP.Failure(description: "openssl \(step.joined(separator: " ")): \(result)") }
            }
            return Signer(folder: folder)
        }
    }

    static func publishSigned(
        _ client: RawHTTP, _ path: String, archive: [UInt8], signature: [UInt8]?, format: String?, metadata: String? = nil
    ) async throws -> RawHTTP.Response {
        var parts: [(name: String, contentType: String, body: [UInt8])] = [("source-archive", "application/zip", archive)]
        if let signature { parts.append(("source-archive-signature", "application/octet-stream", signature)) }
        if let metadata { parts.append(("metadata", "application/json", Array(metadata.utf8))) }
        var headers = RegistryAPINetworkTests.accept
        headers["Content-Type"] = MultipartBody.contentType
        if let format { headers["X-Swift-Package-Signature-Format"] = format }
        return try await client.request("PUT", path, headers: headers, body: MultipartBody.make(parts))
    }

    /// The signature as the release event records it.
    static func recorded(_ registry: Registry, _ version: String) throws -> ReleasePublished {
        let info = try registry.info(PackageIdentity(scope: "acme", name: "Greeter"))
        let release = try #require(info.releases.first { $0.version == version })
        let id = try #require(EventID(hex: release.event))
        let event = try #require(try registry.store.event(id: id))
        guard case .releasePublished(let body) = try event.decodedBody() else { throw RawHTTP.Failure(description: "not a release") }
        return body
    }

    @Test func signaturesAreRecordedAndServedBack() async throws {
        let archive = try Fixtures.zip(Fixtures.library(greeting: "signed"))
        // The server keeps the bytes as sent; SwiftPM's client checks them (next test).
        var random = SplitMix64(seed: 7)
        let signature = (0..<700).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        try await TestNode.with { node in
            let client = node.client
            let created = try await Self.publishSigned(client, "/acme/Greeter/1.0.0", archive: archive, signature: signature, format: "cms-1.0.0")
            #expect(created.status == 201, "\(created)")
            let body = try Self.recorded(node.registry, "1.0.0")
            #expect(body.signatureFormat == "cms-1.0.0" && body.archiveSignature == signature)

            let release = try await client.request("GET", "/acme/Greeter/1.0.0", headers: RegistryAPINetworkTests.accept)
            let signing = ((release.json?["resources"] as? [[String: Any]])?.first?["signing"]) as? [String: String]
            #expect(signing == ["signatureBase64Encoded": Data(signature).base64EncodedString(), "signatureFormat": "cms-1.0.0"], "\(release)")
            let zip = try await client.request("GET", "/acme/Greeter/1.0.0.zip")
            #expect(zip.body == archive)
            #expect(zip.headers["x-swift-package-signature-format"] == "cms-1.0.0")
            #expect(zip.headers["x-swift-package-signature"] == Data(signature).base64EncodedString())

            // Unsigned releases carry neither.
            let unsigned = try Fixtures.zip(Fixtures.library(greeting: "plain"))
            #expect(try await RegistryAPINetworkTests.publish(client, "/acme/Greeter/1.1.0", archive: unsigned).status == 201)
            let plain = try await client.request("GET", "/acme/Greeter/1.1.0", headers: RegistryAPINetworkTests.accept)
            #expect(((plain.json?["resources"] as? [[String: Any]])?.first?["signing"]) == nil, "\(plain)")
            #expect(try await client.request("GET", "/acme/Greeter/1.1.0.zip").headers["x-swift-package-signature"] == nil)

            let cases: [(String, [UInt8]?, String?, String)] = [
                ("format without signature", nil, "cms-1.0.0", "without a source-archive-signature"),
                ("signature without format", signature, nil, "X-Swift-Package-Signature-Format"),
                ("unknown format", signature, "pgp-9", "unsupported signature format"),
                ("oversized signature", [UInt8](repeating: 1, count: ArchiveUpload.Signature.maxSize + 1), "cms-1.0.0", "1–"),
            ]
            for (label, part, format, detail) in cases {
                let response = try await Self.publishSigned(client, "/acme/Greeter/2.0.0", archive: archive, signature: part, format: format)
                #expect(response.status == 422, "\(label): \(response)")
                #expect((response.json?["detail"] as? String)?.contains(detail) == true, "\(label): \(response.text)")
            }
            #expect(try node.registry.info(PackageIdentity(scope: "acme", name: "Greeter")).releases.count == 2)
        }
    }
}
