import AgoraCore
import Hummingbird

/// Which of a package's responses a registry read asks for: the key under which
/// `PackageResponseCache` keeps it. The route handlers and the fast path build keys here
/// only, so both find the same entries.
enum Variant {
    static func list(page: String?) -> String { "list?" + (page ?? "") }
    static func release(_ version: String) -> String { "release/" + version }
    static func archive(_ version: String) -> String { "zip/" + version }
    static func manifest(_ version: String, swiftVersion: String?) -> String { "manifest/" + version + "?" + (swiftVersion ?? "") }
    /// Responses carry absolute URLs built from the client's `Host`, so the base is part of the key.
    static func key(_ variant: String, base: String) -> String { variant + " " + base }
}

extension RegistryRoutes {
    /// A registry read answered from `responses` before routing: the response a route
    /// handler would return for the request, when the cache holds it for the store's current
    /// state; nil for everything else (the router then handles the request as usual).
    ///
    /// Sound because only valid identities are ever cached and every route of another shape
    /// starts with `/-/` or has one path component, so a request this answers is one the
    /// router sends to `releases`, `release` or `manifest` with the same package and variant.
    func cachedRead(_ request: Request) -> Response? {
        guard request.method == .get || request.method == .head else { return nil }
        let path = request.uri.path
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count >= 3, parts.count <= 5, parts[0].isEmpty, !parts.dropFirst().contains(where: { $0.isEmpty }) else { return nil }
        let scope = String(parts[1])
        var name = String(parts[2])
        let variant: String
        switch parts.count {
        case 3:
            name = PathName.strip(name, suffix: ".json")
            variant = Variant.list(page: request.uri.queryParameters.get("page"))
        case 4:
            let version = String(parts[3])
            variant = version.hasSuffix(".zip")
                ? Variant.archive(String(version.dropLast(4))) : Variant.release(PathName.strip(version, suffix: ".json"))
        default:
            guard parts[4] == "Package.swift" else { return nil }
            variant = Variant.manifest(String(parts[3]), swiftVersion: request.uri.queryParameters.get("swift-version"))
        }
        guard (try? APIVersion.check(request)) != nil, let package = try? PackageIdentity(scope: scope, name: name) else { return nil }
        return responses.hit(
            key: package.key, version: registry.store.environment.lastCommittedTransaction,
            variant: Variant.key(variant, base: baseURL(request)))
    }
}

/// The server's responder: kept registry reads straight from the cache, all else through the
/// router and its middlewares. Routing a cached read (trie, parameters, two middlewares) cost
/// more than the rest of its answer (see Benchmarks/README.md, "HTTP front door").
struct CachedReadResponder: HTTPResponder {
    let routes: RegistryRoutes
    let metrics: HTTPMetricsMiddleware<AgoraRequestContext>.Counters
    let router: RouterResponder<AgoraRequestContext>

    func respond(to request: Request, context: AgoraRequestContext) async throws -> Response {
        if let response = routes.cachedRead(request) {
            metrics.record(request, response)
            return response
        }
        return try await router.respond(to: request, context: context)
    }
}
