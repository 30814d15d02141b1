import CoreMetrics
import Hummingbird
import Synchronization

/// Counts every HTTP response by method and status, and the body bytes served
/// (`agora_http_requests_total`, `agora_bytes_served_total{protocol="http"}`); 5xx answers
/// also count as `agora_protocol_errors_total{protocol="http"}`. Outermost middleware, so it
/// sees the final status after `ProblemMiddleware`. Without a metrics backend every counter
/// is swift-metrics' no-op.
struct HTTPMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    /// One counter per (method, status); methods outside the standard set count as `other`,
    /// so clients cannot grow the label set.
    final class Counters: Sendable {
        let byLabel = Mutex([Label: Counter]())
        let bytes = Counter(label: "agora_bytes_served_total", dimensions: [("protocol", "http")])
        let serverErrors = Counter(label: "agora_protocol_errors_total", dimensions: [("protocol", "http"), ("kind", "server-error")])

        /// Method names are small strings, so building a label allocates nothing.
        struct Label: Hashable {
            let method: String
            let status: Int
        }

        func requests(method: HTTPRequest.Method, status: Int) -> Counter {
            let methodLabel = switch method {
            case .get, .head, .put, .post, .delete, .options, .patch: method.rawValue
            default: "other"
            }
            let label = Label(method: methodLabel, status: status)
            return byLabel.withLock { counters in
                if let counter = counters[label] { return counter }
                let counter = Counter(label: "agora_http_requests_total", dimensions: [("method", methodLabel), ("status", String(status))])
                counters[label] = counter
                return counter
            }
        }

        func record(_ request: Request, _ response: Response) {
            requests(method: request.method, status: response.status.code).increment()
            if let length = response.body.contentLength, request.method != .head { bytes.increment(by: length) }
            if response.status.code >= 500 { serverErrors.increment() }
        }
    }

    let counters = Counters()

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let response = try await next(request, context)
        counters.record(request, response)
        return response
    }
}
