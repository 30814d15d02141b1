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
        let byLabel = Mutex([String: Counter]())
        let bytes = Counter(label: "agora_bytes_served_total", dimensions: [("protocol", "http")])
        let serverErrors = Counter(label: "agora_protocol_errors_total", dimensions: [("protocol", "http"), ("kind", "server-error")])

        func requests(method: HTTPRequest.Method, status: Int) -> Counter {
            let known: Set<HTTPRequest.Method> = [.get, .head, .put, .post, .delete, .options, .patch]
            let methodLabel = known.contains(method) ? method.rawValue : "other"
            let key = methodLabel + " " + String(status)
            return byLabel.withLock { counters in
                if let counter = counters[key] { return counter }
                let counter = Counter(label: "agora_http_requests_total", dimensions: [("method", methodLabel), ("status", String(status))])
                counters[key] = counter
                return counter
            }
        }
    }

    let counters = Counters()

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let response = try await next(request, context)
        counters.requests(method: request.method, status: response.status.code).increment()
        if let length = response.body.contentLength, request.method != .head { counters.bytes.increment(by: length) }
        if response.status.code >= 500 { counters.serverErrors.increment() }
        return response
    }
}
