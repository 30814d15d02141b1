import Crypto
import Foundation

/// Who may write (publish) through the HTTP front door.
///
/// A bearer token configured on the node authorises writes over TLS or plain HTTP. Without a
/// token in the request, a write is allowed only over plain HTTP from a loopback client and
/// only when the operator opted in (`--http-allow-loopback-writes`): SwiftPM sends credentials
/// over HTTPS only, so that opt-in is how a local `swift package-registry publish
/// --allow-insecure-http` works at all.
public struct WriteAuthorization: Sendable {
    public enum Decision: Equatable, Sendable {
        case allowed
        case denied(String)
    }

    /// SHA-256 of the configured token: compared in constant time, never kept in clear.
    let tokenDigest: [UInt8]?
    public let allowTokenlessLoopback: Bool

    public init(token: String?, allowTokenlessLoopback: Bool) {
        self.tokenDigest = token.map { Array(SHA256.hash(data: Data($0.utf8))) }
        self.allowTokenlessLoopback = allowTokenlessLoopback
    }

    /// `authorization` is the request's Authorization header, if any.
    public func decide(authorization: String?, overTLS: Bool, fromLoopback: Bool) -> Decision {
        if let authorization {
            guard let tokenDigest else { return .denied("this node accepts no tokens; writes are not configured") }
            let parts = authorization.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, parts[0].lowercased() == "bearer" else {
                return .denied("send the token as \"Authorization: Bearer TOKEN\"")
            }
            let given = Array(SHA256.hash(data: Data(parts[1].trimmingCharacters(in: .whitespaces).utf8)))
            return Self.constantTimeEqual(given, tokenDigest) ? .allowed : .denied("the token is not valid for this node")
        }
        if !overTLS, fromLoopback, allowTokenlessLoopback { return .allowed }
        if tokenDigest == nil, !allowTokenlessLoopback {
            return .denied("this node accepts no writes over HTTP (start it with --http-token-file, or --http-allow-loopback-writes)")
        }
        return .denied("a bearer token is required (swift package-registry login URL --token TOKEN)")
    }

    static func constantTimeEqual(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        guard lhs.count == rhs.count else { return false }
        var difference: UInt8 = 0
        for (left, right) in zip(lhs, rhs) { difference |= left ^ right }
        return difference == 0
    }
}
