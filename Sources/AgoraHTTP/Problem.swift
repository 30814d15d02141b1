import AgoraRegistry
import Foundation
import HTTPTypes
import Hummingbird

/// An error that becomes an RFC 7807 problem response (`application/problem+json`), the only
/// error shape the registry spec allows.
public struct Problem: Error, Sendable {
    public var status: HTTPResponse.Status
    public var detail: String
    public var headers: HTTPFields

    public init(_ status: HTTPResponse.Status, _ detail: String, headers: HTTPFields = [:]) {
        self.status = status
        self.detail = detail
        self.headers = headers
    }

    /// The status a registry failure maps to; the detail is the registry's message as is.
    init(_ error: RegistryError) {
        let status: HTTPResponse.Status = switch error.code {
        case .invalidInput: .unprocessableContent
        case .notFound: .notFound
        case .conflict: .conflict
        case .untrusted: .conflict
        case .integrity, .storage: .internalServerError
        }
        self.init(status, error.description)
    }

    struct Body: Encodable {
        let type = "about:blank"
        let status: Int
        let title: String
        let detail: String
    }

    var response: Response {
        var headers = self.headers
        headers[.contentType] = "application/problem+json"
        headers[.contentLanguage] = "en"
        let body = Body(status: status.code, title: status.reasonPhrase, detail: detail)
        let bytes = (try? Reply.encoder.encode(body)) ?? Data()
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}

enum Reply {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) throws -> Response {
        var headers = headers
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: try encoder.encode(value))))
    }

    static func bytes(_ bytes: some Collection<UInt8>, contentType: String, headers: HTTPFields = [:]) -> Response {
        var headers = headers
        headers[.contentType] = contentType
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}

extension HTTPField.Name {
    static let contentVersion = Self("Content-Version")!
    static let digest = Self("Digest")!
    static let link = Self("Link")!
    static let swiftPackageSignatureFormat = Self("X-Swift-Package-Signature-Format")!
    static let swiftPackageSignature = Self("X-Swift-Package-Signature")!
}

/// Adds `Content-Version: 1` to every response and turns every failure, ours or the router's
/// (no such route, body too large), into a problem response.
struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        do {
            response = try await next(request, context)
        } catch let problem as Problem {
            response = problem.response
        } catch let error as RegistryError {
            response = Problem(error).response
        } catch let error as CancellationError {
            throw error
        } catch let error as HTTPError {
            response = Problem(error.status, error.body ?? error.status.reasonPhrase, headers: error.headers).response
        } catch {
            context.logger.error("request failed: \(error)")
            response = Problem(.internalServerError, "internal error").response
        }
        response.headers[.contentVersion] = "1"
        return response
    }
}
