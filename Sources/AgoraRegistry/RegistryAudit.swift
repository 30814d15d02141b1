import AgoraCore
import AgoraStore
import AgoraViews
import Foundation

public struct AuditReport: Sendable, Encodable {
    public let deep: Bool
    public let events: Int
    public let feeds: Int
    public let signaturesChecked: Int
    public let chainSeconds: Double
    public let viewsSeconds: Double
    public let viewsEqual: Bool
    /// The first thing wrong, naming the event; nil when everything checked out.
    public let problem: String?

    public var ok: Bool { problem == nil }
}

extension Registry {
    /// The audit: every hash chain and the signatures that authenticate it (every signature
    /// with `deep`), then every view rebuilt from the log alone and compared byte for byte.
    public func audit(deep: Bool) throws -> AuditReport {
        let chains = try store.verify(deep: deep)
        let views = try store.verifyViews()
        let problem = chains.firstProblem.map { "log: \($0)" } ?? views.mismatch.map { "views: \($0)" }
        return AuditReport(
            deep: deep, events: chains.events, feeds: chains.feeds, signaturesChecked: chains.signaturesChecked,
            chainSeconds: chains.duration.seconds, viewsSeconds: views.duration.seconds, viewsEqual: views.equal,
            problem: problem)
    }
}

extension Duration {
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
