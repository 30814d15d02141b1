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
    /// False when the log failed its checks and the views were therefore not rebuilt.
    public let viewsChecked: Bool
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
        if let problem = chains.firstProblem {
            // A log that fails its own checks cannot be replayed into views worth comparing.
            return AuditReport(
                deep: deep, events: chains.events, feeds: chains.feeds, signaturesChecked: chains.signaturesChecked,
                chainSeconds: chains.duration.seconds, viewsSeconds: 0, viewsChecked: false, viewsEqual: false, problem: "log: \(problem)")
        }
        let views = try store.verifyViews()
        return AuditReport(
            deep: deep, events: chains.events, feeds: chains.feeds, signaturesChecked: chains.signaturesChecked,
            chainSeconds: chains.duration.seconds, viewsSeconds: views.duration.seconds, viewsChecked: true, viewsEqual: views.equal,
            problem: views.mismatch.map { "views: \($0)" })
    }
}

extension Duration {
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
