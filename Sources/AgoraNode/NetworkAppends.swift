/// The local sequences the node's writer appended from peers (sync batches, gossip), as
/// coalesced ranges. Gossip publishes the rest of the log — what this process or another one
/// on the same store wrote — so a mirror catching up from sync never floods gossip. Only the
/// writer's queue touches it: a reader that classifies on that queue sees every range of every
/// commit the writer made, because recording happens in the commit's own queue turn.
/// `PeerEchoes` keeps one per peer: what that peer sent.
struct NetworkAppends {
    /// Disjoint, ascending, non-adjacent.
    private var ranges: [ClosedRange<UInt64>] = []

    /// Local sequences only grow, and the writer commits in order, so each new one is beyond
    /// the last range: it extends it or starts the next.
    mutating func record(_ localSeq: UInt64) {
        guard let last = ranges.last else {
            ranges.append(localSeq...localSeq)
            return
        }
        guard localSeq > last.upperBound else { return }
        if localSeq - last.upperBound == 1 {
            ranges[ranges.count - 1] = last.lowerBound...localSeq
        } else {
            ranges.append(localSeq...localSeq)
        }
    }

    /// The ranges of (after, through] *not* appended from the network, and forgets everything
    /// up to `through` (the caller has consumed it), so the table stays as small as the
    /// interleaving of local and network writes since the last call.
    mutating func take(after: UInt64, through: UInt64) -> [ClosedRange<UInt64>] {
        guard after < through else { return [] }
        var local: [ClosedRange<UInt64>] = []
        var next = after + 1
        for range in ranges where range.upperBound >= next && range.lowerBound <= through {
            if range.lowerBound > next { local.append(next...(range.lowerBound - 1)) }
            next = range.upperBound + 1
            if next > through { break }
        }
        if next <= through { local.append(next...through) }
        forget(through: through, keeping: .max)
        return local
    }

    /// The recorded ranges that reach into (after, upTo], clipped to it.
    func ranges(after: UInt64, upTo: UInt64) -> [ClosedRange<UInt64>] {
        guard after < upTo else { return [] }
        let start = ranges.firstIndex { $0.upperBound > after } ?? ranges.endIndex
        return ranges[start...].prefix { $0.lowerBound <= upTo }.map { max($0.lowerBound, after + 1)...min($0.upperBound, upTo) }
    }

    /// Forgets every range up to `through`, and the oldest ranges beyond `maxRanges`.
    mutating func forget(through: UInt64, keeping maxRanges: Int) {
        ranges.removeAll { $0.upperBound <= through }
        if let first = ranges.first, first.lowerBound <= through { ranges[0] = (through + 1)...first.upperBound }
        if ranges.count > maxRanges { ranges.removeFirst(ranges.count - maxRanges) }
    }

    var isEmpty: Bool { ranges.isEmpty }
}
