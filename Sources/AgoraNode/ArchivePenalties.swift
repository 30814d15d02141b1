import AgoraWire
import Foundation

/// Peers that served an archive chunk or manifest the verified bytes contradict. They are
/// not asked for archives again until `duration` has passed; the table is bounded (oldest
/// entries go first), so a flood of fresh identities cannot grow it.
public final class ArchivePenalties: @unchecked Sendable {
    public static let duration: Duration = .seconds(600)
    static let capacity = 1024
    private let lock = NSLock()
    private var until: [PeerID: ContinuousClock.Instant] = [:]
    private var counts: [PeerID: Int] = [:]

    public init() {}

    public func penalise(_ peer: PeerID, now: ContinuousClock.Instant = .now) {
        lock.withLock {
            if until[peer] == nil, until.count >= Self.capacity,
               let oldest = until.min(by: { $0.value < $1.value })?.key {
                until[oldest] = nil
                counts[oldest] = nil
            }
            until[peer] = now + Self.duration
            counts[peer, default: 0] += 1
        }
    }

    public func isPenalised(_ peer: PeerID, now: ContinuousClock.Instant = .now) -> Bool {
        lock.withLock { until[peer].map { $0 > now } ?? false }
    }

    /// How often each peer was caught serving bad data (for status and tests).
    public var offences: [PeerID: Int] { lock.withLock { counts } }
}
