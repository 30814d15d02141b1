import AgoraCore
import AgoraHTTP
import AgoraRegistry
import AgoraTestSupport
import Foundation
import Testing

/// HTTPS with a token: `swift package-registry login` then `publish`, as a publisher on
/// another machine would. The certificate comes from a CA the test makes with the openssl
/// CLI; SwiftPM (libcurl) trusts it through the system bundle, which the test replaces only
/// inside a private mount namespace (`unshare -m` + a bind mount), so the machine's trust
/// store never changes.
@Suite struct TLSNetworkTests {
    struct LocalCA {
        let folder: TemporaryDirectory
        var certificate: String { folder.url.appendingPathComponent("server.pem").path }
        var key: String { folder.url.appendingPathComponent("server.key").path }
        /// The system bundle plus this CA.
        var bundle: String { folder.url.appendingPathComponent("bundle.pem").path }

        static func make() async throws -> LocalCA {
            let folder = try TemporaryDirectory()
            try folder.write("san.ext", "subjectAltName=IP:127.0.0.1,DNS:localhost\n")
            let steps: [[String]] = [
                ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
                 "-subj", "/CN=Agora Test CA", "-keyout", "ca.key", "-out", "ca.pem"],
                ["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-subj", "/CN=127.0.0.1",
                 "-keyout", "server.key", "-out", "server.csr"],
                ["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2",
                 "-extfile", "san.ext", "-out", "server.pem"],
            ]
            for step in steps {
                let result = try await Subprocess.run("/usr/bin/openssl", step, in: folder.url)
                guard result.status == 0 else { throw RawHTTP.Failure(description: "openssl \(step[0]): \(result)") }
            }
            let system = (try? Data(contentsOf: URL(fileURLWithPath: systemBundle))) ?? Data()
            let ca = try Data(contentsOf: folder.url.appendingPathComponent("ca.pem"))
            try (system + Data("\n".utf8) + ca).write(to: URL(fileURLWithPath: folder.url.appendingPathComponent("bundle.pem").path))
            return LocalCA(folder: folder)
        }

        static let systemBundle = "/etc/ssl/certs/ca-certificates.crt"

        /// Runs `swift arguments…` in a mount namespace where the system bundle trusts this CA.
        func swift(_ arguments: [String], in directory: URL, environment: [String: String]) async throws -> Subprocess.Result {
            try await Subprocess.run(
                "/usr/bin/unshare",
                ["-m", "/bin/sh", "-c", "mount --bind \"$0\" \(Self.systemBundle) && exec \"$@\"", bundle, Subprocess.swift] + arguments,
                in: directory, environment: environment)
        }
    }

    @Test func loginAndPublishOverTLSWithAToken() async throws {
        let ca = try await LocalCA.make()
        let paths = try SwiftPMNetworkTests.SwiftPMPaths()
        let library = try paths.library(greeting: "over tls", at: "Greeter")
        let configuration = HTTPConfiguration(tlsCertificatePath: ca.certificate, tlsKeyPath: ca.key, token: "t0ken-\(UInt32.random(in: 0...UInt32.max))")
        try await TestNode.with(configuration: configuration) { node in
            let url = "https://127.0.0.1:\(node.port)"
            let wrong = try await ca.swift(
                ["package-registry", "login", url, "--token", "not-the-token", "--no-confirm"] + paths.options,
                in: library, environment: paths.environment)
            #expect(wrong.status != 0 && wrong.output.contains("401"), "\(wrong)")
            let login = try await ca.swift(
                ["package-registry", "login", url, "--token", configuration.token ?? "", "--no-confirm"] + paths.options,
                in: library, environment: paths.environment)
            #expect(login.status == 0, "\(login)")
            let published = try await ca.swift(
                ["package-registry", "publish", "acme.Greeter", "2.0.0", "--url", url,
                 "--scratch-directory", paths.scratch] + paths.options,
                in: library, environment: paths.environment)
            #expect(published.status == 0, "\(published)")
            let info = try node.registry.info(PackageIdentity(scope: "acme", name: "Greeter"))
            #expect(info.releases.map(\.version) == ["2.0.0"])
            #expect(info.releases.first?.author == node.registry.identity.publicKey.hex)
        }
    }
}
