import AgoraCore
import AgoraNode
import AgoraRegistry
import AgoraViews
import Foundation
import Hummingbird

/// The JSON API under `/-/api/v1` (what the CLI's read commands show), its OpenAPI document
/// at `/-/openapi.json`, and the web page at `/`. The `-` prefix can never be a registry scope
/// (scopes start with a letter or digit), so these routes never shadow a package.
struct JSONAPIRoutes: Sendable {
    let registry: Registry
    /// The running node's state (peers, sync), when the server runs beside one.
    let node: NodeStatusSource?

    static let prefix = "/-/api/v1"

    func add(to router: Router<AgoraRequestContext>) {
        router.get("\(Self.prefix)/search") { try self.search($0, $1) }
        router.get("\(Self.prefix)/packages/{scope}/{name}") { try self.package($0, $1) }
        router.get("\(Self.prefix)/log") { try self.log($0, $1) }
        router.get("\(Self.prefix)/status") { _, _ in try await self.status() }
        router.get("\(Self.prefix)/peers") { _, _ in try await self.peers() }
        router.get("/-/openapi.json") { _, _ in Reply.bytes(OpenAPIDocument.json, contentType: "application/json") }
        router.get("/") { _, _ in
            var headers: HTTPFields = [:]
            headers[.contentSecurityPolicy] = "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'"
            return Reply.bytes(WebPage.html, contentType: "text/html; charset=utf-8", headers: headers)
        }
    }

    struct SearchResult: Encodable {
        let package: String
        let version: String
        let description: String
        let authors: [String]
        let match: String
        let yanked: Bool
        let contested: Bool
    }

    func search(_ request: Request, _ context: AgoraRequestContext) throws -> Response {
        let query = request.uri.queryParameters.get("q") ?? ""
        guard !query.trimmingCharacters(in: .whitespaces).isEmpty, query.utf8.count <= 200 else {
            throw Problem(.badRequest, "q must hold 1–200 bytes of search text")
        }
        let limit = try Self.integer(request, "limit", default: 20, range: 1...SearchFilters.maxLimit)
        let filters = SearchFilters(
            keyword: request.uri.queryParameters.get("keyword"), author: request.uri.queryParameters.get("author"),
            includeYanked: request.uri.queryParameters.get("yanked") == "true", limit: limit)
        let hits = try registry.search(query, filters: filters).map { hit in
            SearchResult(
                package: "\(hit.summary.package.scope)/\(hit.summary.name)", version: hit.summary.version,
                description: hit.summary.description, authors: hit.summary.authors, match: hit.tier.description,
                yanked: hit.summary.yanked, contested: hit.summary.contested)
        }
        return try Reply.json(["results": hits])
    }

    func package(_ request: Request, _ context: AgoraRequestContext) throws -> Response {
        let identity: PackageIdentity
        do {
            identity = try PackageIdentity(scope: context.parameters.require("scope"), name: context.parameters.require("name"))
        } catch let error as PackageNameError {
            throw Problem(.badRequest, error.description)
        }
        return try Reply.json(registry.info(identity))
    }

    func log(_ request: Request, _ context: AgoraRequestContext) throws -> Response {
        let since = try Self.integer(request, "since", default: 0, range: 0...Int.max)
        let limit = try Self.integer(request, "limit", default: 100, range: 1...1000)
        return try Reply.json(registry.log(since: UInt64(since), limit: limit))
    }

    struct Status: Encodable {
        /// The libp2p node beside this server: its identity, addresses and replication health.
        struct Node: Encodable {
            let peerID: String
            let listen: [String]
            let mirror: Bool
            let peersConnected: Int
            /// Events the furthest-behind peer's log holds that this node has not yet synced.
            let maxSyncLag: UInt64
            let peersCutOff: Int
            /// `ok` with a connected peer and no sync lag; `syncing` while behind; `alone` with no peer.
            let health: String
        }

        let publisher: String
        let events: UInt64
        /// Events in the log not yet folded into the views (a node folds peers' batches behind
        /// the log); what searches and package reads do not show yet.
        let viewsLag: UInt64
        let node: Node?
        let schema = "agora-http-1"
    }

    func status() async throws -> Response {
        let status = await self.node?()
        let node = status.map { status in
            let lag = status.peers.compactMap(\.syncLag).max() ?? 0
            return Status.Node(
                peerID: status.peerID, listen: status.listen, mirror: status.mirror, peersConnected: status.peers.count,
                maxSyncLag: lag, peersCutOff: status.cutOff.count,
                health: status.peers.isEmpty ? "alone" : lag > 0 ? "syncing" : "ok")
        }
        let views = try registry.store.viewProgress()
        return try Reply.json(Status(publisher: registry.identity.publicKey.hex, events: views.logEnd, viewsLag: views.lag, node: node))
    }

    struct Peers: Encodable {
        /// As `agora peers --json` shows them.
        let peers: [NodeStatus.Peer]
        let cutOff: [NodeStatus.CutOff]
        let node: Bool
    }

    /// The node's connected peers; an empty list (and `node: false`) when no node runs here.
    func peers() async throws -> Response {
        let status = await node?()
        return try Reply.json(Peers(peers: status?.peers ?? [], cutOff: status?.cutOff ?? [], node: status != nil))
    }

    static func integer(_ request: Request, _ name: String, default value: Int, range: ClosedRange<Int>) throws -> Int {
        guard let text = request.uri.queryParameters.get(name) else { return value }
        guard let number = Int(text), range.contains(number) else {
            throw Problem(.badRequest, "\(name) must be an integer in \(range.lowerBound)…\(range.upperBound)")
        }
        return number
    }
}
